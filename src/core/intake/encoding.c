/*
 * encoding: detection and streaming conversion to UTF-8. See encoding.h.
 */
#include <errno.h>
#include <iconv.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/utf8.h"
#include "base/xmalloc.h"
#include "intake/encoding.h"
#include "base/banned.h"

#define BUF_SIZE        65536
#define INVALID_PENALTY 8

/* The most frequent Chinese characters, simplified, and the same list in
 * Taiwan's traditional forms (made with `opencc -c s2tw.json`). */
static const char common_simplified[] =
    "的一是不了在人有我他这个们中来上大为和国地到以说时要就出会可也你对生能而子那得于着下自之年过发"
    "后作里用道行所然家种事成方多经么去法学如都同现当没动面起看定天分还进好小部其些主样理心本前开但"
    "因只从想实日者意无力它与长把机十民第公此已工使情明性知全三又关点正业外将两高间由问很最重并物手"
    "应向头文体相见被利什二等产或新己制身果加西月话合回特代内信表化老给世位次度门任常先海通教儿原东"
    "声提立及比员解水名真论处走义各入几口认条平系气题活更别打女变四神总何电数安少报才结反受目太量再"
    "感建务做接必场件计管期市直资命山金指许统区保至形社便空决治展马科司五基眼书非则听白却界达光放强"
    "即像难且思王象完设式色路记南品住告类求据程北边死张该交规万取拉格望觉术领共确传师观清今切院让识"
    "候带导争运笑飞风步改收根造言联持组每济车亲极林服快办议往元证近失转夫令准布始怎呢存未远叫单影具"
    "字爱流备连调深商算质团集百需价花华城级整离况请技际约示复病息究线似官火断精满支视消越器容照须九"
    "增研写称企八功吗包片史委乎查轻易早曾除找装广显吧标谈图念六引历首医局突专费号乐退货客服态度差物"
    "慢量问题投诉";
static const char common_traditional[] =
    "的一是不了在人有我他這個們中來上大為和國地到以說時要就出會可也你對生能而子那得於著下自之年過發"
    "後作裡用道行所然家種事成方多經麼去法學如都同現當沒動面起看定天分還進好小部其些主樣理心本前開但"
    "因只從想實日者意無力它與長把機十民第公此已工使情明性知全三又關點正業外將兩高間由問很最重並物手"
    "應向頭文體相見被利什二等產或新己制身果加西月話合回特代內信表化老給世位次度門任常先海通教兒原東"
    "聲提立及比員解水名真論處走義各入幾口認條平系氣題活更別打女變四神總何電數安少報才結反受目太量再"
    "感建務做接必場件計管期市直資命山金指許統區保至形社便空決治展馬科司五基眼書非則聽白卻界達光放強"
    "即像難且思王象完設式色路記南品住告類求據程北邊死張該交規萬取拉格望覺術領共確傳師觀清今切院讓識"
    "候帶導爭運笑飛風步改收根造言聯持組每濟車親極林服快辦議往元證近失轉夫令準布始怎呢存未遠叫單影具"
    "字愛流備連調深商算質團集百需價花華城級整離況請技際約示覆病息究線似官火斷精滿支視消越器容照須九"
    "增研寫稱企八功嗎包片史委乎查輕易早曾除找裝廣顯吧標談圖念六引歷首醫局突專費號樂退貨客服態度差物"
    "慢量問題投訴";

struct enc_reader {
    FILE *f;
    enum encoding enc;
    iconv_t cd; /* (iconv_t)-1 for UTF-8, which passes through */
    char in[BUF_SIZE];
    size_t in_pos, in_len;
    bool eof, failed;
    long replaced;
};

int encoding_parse(const char *name, enum encoding *out)
{
    static const struct {
        const char *name;
        enum encoding enc;
    } names[] = {{"auto", ENC_AUTO},        {"utf-8", ENC_UTF8},     {"utf8", ENC_UTF8},
                 {"gbk", ENC_GB18030},      {"gb2312", ENC_GB18030}, {"gb18030", ENC_GB18030},
                 {"cp936", ENC_GB18030},    {"big5", ENC_BIG5},      {"cp950", ENC_BIG5},
                 {"utf-16le", ENC_UTF16LE}, {"utf16le", ENC_UTF16LE}};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcasecmp(name, names[i].name) == 0) {
            *out = names[i].enc;
            return 0;
        }
    }
    return KERR_INVALID;
}

const char *encoding_name(enum encoding e)
{
    switch (e) {
    case ENC_UTF8:
        return "UTF-8";
    case ENC_GB18030:
        return "GB18030";
    case ENC_BIG5:
        return "BIG5";
    case ENC_UTF16LE:
        return "UTF-16LE";
    default:
        return "auto";
    }
}

/* The name iconv knows. Big5-HKSCS contains Big5 and the common extensions. */
static const char *iconv_name(enum encoding e)
{
    return e == ENC_BIG5 ? "BIG5-HKSCS" : encoding_name(e);
}

size_t encoding_bom_len(enum encoding e, const char *buf, size_t len)
{
    const unsigned char *b = (const unsigned char *)buf;
    if (e == ENC_UTF8 && len >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF)
        return 3;
    if (e == ENC_UTF16LE && len >= 2 && b[0] == 0xFF && b[1] == 0xFE)
        return 2;
    if (e == ENC_GB18030 && len >= 4 && b[0] == 0x84 && b[1] == 0x31 && b[2] == 0x95 &&
        b[3] == 0x33)
        return 4;
    return 0;
}

/* Valid UTF-8, allowing a sequence cut off by the end of the prefix. */
static bool prefix_is_utf8(const char *buf, size_t len)
{
    long bad = utf8_invalid_at(buf, len);
    if (bad < 0)
        return true;
    if (len - (size_t)bad > 3)
        return false;
    const unsigned char *b = (const unsigned char *)buf + bad;
    size_t rest = len - (size_t)bad;
    size_t need = b[0] >= 0xF0 ? 4 : b[0] >= 0xE0 ? 3 : b[0] >= 0xC0 ? 2 : 0;
    if (need <= rest)
        return false;
    for (size_t i = 1; i < rest; i++)
        if ((b[i] & 0xC0) != 0x80)
            return false;
    return true;
}

/*
 * UTF-8 with a stray bad byte or two (a truncated cell, a pasted symbol):
 * at least 16 valid multi-byte sequences and fewer than one invalid byte per
 * 64 of them. Text in GBK or Big5 breaks UTF-8 rules almost at once.
 */
static bool mostly_utf8(const char *buf, size_t len)
{
    size_t pos = 0, multi = 0, bad = 0;
    while (pos < len) {
        int32_t cp;
        pos += (size_t)utf8_decode((const unsigned char *)buf + pos, len - pos, &cp);
        if (cp < 0)
            bad++;
        else if (cp >= 0x80)
            multi++;
    }
    return multi >= 16 && bad * 64 < multi;
}

static int cmp_cp(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* The code points of a UTF-8 list, sorted, into set; returns how many. */
static size_t load_set(const char *s, int32_t *set, size_t max)
{
    size_t n = 0, len = strlen(s), pos = 0;
    while (pos < len && n < max) {
        int32_t cp;
        pos += (size_t)utf8_decode((const unsigned char *)s + pos, len - pos, &cp);
        if (cp >= 0)
            set[n++] = cp;
    }
    qsort(set, n, sizeof(*set), cmp_cp);
    return n;
}

/*
 * Decodes buf as `from` and scores the result: +1 for each common character,
 * -INVALID_PENALTY for each refused sequence. A sequence cut off at the end
 * of the prefix is not counted.
 */
static long score(const char *buf, size_t len, const char *from, const int32_t *set, size_t nset)
{
    iconv_t cd = iconv_open("UTF-8", from);
    char out[4096];
    char *in = (char *)buf;
    size_t inleft = len;
    long sc = 0;

    if (cd == (iconv_t)-1)
        return -1000000;
    while (inleft > 0) {
        char *op = out;
        size_t outleft = sizeof(out);
        size_t r = iconv(cd, &in, &inleft, &op, &outleft);
        int e = r == (size_t)-1 ? errno : 0;
        size_t olen = (size_t)(op - out), pos = 0;
        while (pos < olen) {
            int32_t cp;
            pos += (size_t)utf8_decode((unsigned char *)out + pos, olen - pos, &cp);
            if (cp >= 0x80 && bsearch(&cp, set, nset, sizeof(*set), cmp_cp))
                sc++;
        }
        if (e == EILSEQ) {
            sc -= INVALID_PENALTY;
            in++;
            inleft--;
        } else if (e == EINVAL || (e != E2BIG && e != 0)) {
            break;
        }
    }
    iconv_close(cd);
    return sc;
}

enum encoding encoding_detect(const char *buf, size_t len)
{
    const unsigned char *b = (const unsigned char *)buf;
    int32_t set[1024];
    size_t n;

    if (len >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF)
        return ENC_UTF8;
    if (len >= 2 && b[0] == 0xFF && b[1] == 0xFE)
        return ENC_UTF16LE;
    if (encoding_bom_len(ENC_GB18030, buf, len))
        return ENC_GB18030;
    if (prefix_is_utf8(buf, len) || mostly_utf8(buf, len))
        return ENC_UTF8;
    n = load_set(common_simplified, set, 1024);
    long gb = score(buf, len, iconv_name(ENC_GB18030), set, n);
    n = load_set(common_traditional, set, 1024);
    long big5 = score(buf, len, iconv_name(ENC_BIG5), set, n);
    return big5 > gb ? ENC_BIG5 : ENC_GB18030;
}

/* Fills the input buffer after moving what is left to its front. */
static int refill(struct enc_reader *r)
{
    size_t rest = r->in_len - r->in_pos;
    memmove(r->in, r->in + r->in_pos, rest);
    r->in_pos = 0;
    r->in_len = rest;
    while (!r->eof && r->in_len < BUF_SIZE) {
        size_t got = fread(r->in + r->in_len, 1, BUF_SIZE - r->in_len, r->f);
        r->in_len += got;
        if (got == 0) {
            if (ferror(r->f)) {
                r->failed = true;
                return -1;
            }
            r->eof = true;
        }
        if (got > 0)
            break;
    }
    return 0;
}

struct enc_reader *enc_reader_new(FILE *f, enum encoding e, struct kerr *err)
{
    struct enc_reader *r = xcalloc(1, sizeof(*r));
    r->f = f;
    r->cd = (iconv_t)-1;
    if (refill(r) < 0) {
        free(r);
        kerr_set(err, KERR_IO, "read_failed", "", "reading the input failed");
        return NULL;
    }
    if (e == ENC_AUTO)
        e = encoding_detect(r->in, r->in_len);
    r->enc = e;
    r->in_pos = encoding_bom_len(e, r->in, r->in_len);
    if (e != ENC_UTF8) {
        r->cd = iconv_open("UTF-8", iconv_name(e));
        if (r->cd == (iconv_t)-1) {
            free(r);
            kerr_set(err, KERR_IO, "no_converter", "", "iconv cannot convert from %s",
                     encoding_name(e));
            return NULL;
        }
    }
    return r;
}

/* Writes U+FFFD for one refused sequence and steps past it. */
static void replace_bad(struct enc_reader *r, char **op, size_t *outleft)
{
    size_t step = r->enc == ENC_UTF16LE ? 2 : 1;
    memcpy(*op, "\xEF\xBF\xBD", 3);
    *op += 3;
    *outleft -= 3;
    r->in_pos += step < r->in_len - r->in_pos ? step : r->in_len - r->in_pos;
    r->replaced++;
}

long enc_reader_read(void *reader, char *buf, size_t len)
{
    struct enc_reader *r = reader;
    char *op = buf;
    size_t outleft = len;

    if (r->failed)
        return -1;
    if (r->cd == (iconv_t)-1) {
        if (r->in_pos == r->in_len && (r->eof || refill(r) < 0 || r->in_len == 0))
            return r->failed ? -1 : 0;
        size_t n = r->in_len - r->in_pos < len ? r->in_len - r->in_pos : len;
        memcpy(buf, r->in + r->in_pos, n);
        r->in_pos += n;
        return (long)n;
    }
    while (outleft >= 4) {
        if (r->in_pos == r->in_len) {
            if (r->eof)
                break;
            if (refill(r) < 0)
                return -1;
            continue;
        }
        char *ip = r->in + r->in_pos;
        size_t inleft = r->in_len - r->in_pos;
        size_t rc = iconv(r->cd, &ip, &inleft, &op, &outleft);
        int e = rc == (size_t)-1 ? errno : 0;
        r->in_pos = (size_t)(ip - r->in);
        if (e == E2BIG)
            break;
        if (e == EILSEQ) {
            if (outleft < 3)
                break;
            replace_bad(r, &op, &outleft);
        } else if (e == EINVAL) { /* sequence cut by the buffer end */
            if (r->eof) {
                if (outleft < 3)
                    break;
                replace_bad(r, &op, &outleft);
            } else if (refill(r) < 0) {
                return -1;
            }
        }
    }
    return (long)(op - buf);
}

enum encoding enc_reader_encoding(const struct enc_reader *r)
{
    return r->enc;
}

long enc_reader_replaced(const struct enc_reader *r)
{
    return r->replaced;
}

void enc_reader_free(struct enc_reader *r)
{
    if (!r)
        return;
    if (r->cd != (iconv_t)-1)
        iconv_close(r->cd);
    free(r);
}
