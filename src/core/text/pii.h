/*
 * pii: finds personal data in free text and masks it, keeping what an agent
 * needs to recognise a customer (the first and last digits, the mail domain,
 * the surname) and nothing that would identify them to someone else.
 *
 * What is found (run it on normalised text: ASCII digits, see normalize.h):
 *
 *   mobile     mainland mobile numbers 1[3-9]x xxxx xxxx: 13812345678,
 *              138-1234-5678, 138 1234 5678, 138-12345678, with an optional
 *              +86 / 86 / 0086 prefix (+8613812345678, +86 138 1234 5678).
 *                                                   masked 138****5678
 *   landline   0 + area code + subscriber number starting 2-9: 010-12345678,
 *              0755-8888-1234, 0571 87654321, (010)12345678, and without a
 *              separator where the area code is unambiguous (01012345678,
 *              02x + 8 digits, 0[3-9]xx + 7-8 digits); an extension
 *              (010-62345678-123) stays visible. Service numbers (400,
 *              800, 95xxx) are not personal and are left alone.
 *                                                   masked 010-****5678
 *   id_number  18-digit resident identity numbers (GB 11643): a known
 *              province code, a real birth date between 1900 and 2099 and a
 *              correct ISO 7064 MOD 11-2 check character (0-9 or X); also
 *              written 6-8-4 with spaces. Legacy 15-digit numbers with a
 *              province code and a real 19YYMMDD birth date.
 *                                                   masked 110101********1234
 *   bank_card  16 to 19 digits, contiguous or in groups of four, with a
 *              correct Luhn check digit and an issuer prefix seen on cards
 *              (2, 3, 4, 5, 6 or 9).                masked 6228********1234
 *   email      local@domain.tld (local part [A-Za-z0-9._%+-], domain labels
 *              of letters, digits and '-', a top-level domain of 2+ letters).
 *                                                   masked z***@qq.com
 *   name       the customer's name given by the caller (struct pii_opts),
 *              wherever it appears; names of one character are not searched.
 *              Two-character surnames (欧阳, 司马, ...) are kept whole. The
 *              match is exact, so a name inside a longer one (张伟 in 张伟东)
 *              is masked too, and other spellings (王先生) are not.
 *                                                   masked 王*, 王**, 欧阳**
 *
 * What is deliberately not found (look-alikes):
 *   - digits that are part of a longer run of digits or of an identifier
 *     (E20251123641333, SN13812345678, 13812345678901);
 *   - amounts and decimals (¥13812345678, 13812345678.00);
 *   - numbers labelled as something else right before them: 订单号, 单号,
 *     运单号, 工单号, 流水号, 交易号, 编号, 序列号, 条码, 发票号, 型号,
 *     合同号, 批号 (with an optional ':', '：', '#' or space between);
 *   - invalid check digits, impossible birth dates, unknown province codes,
 *     cards failing Luhn;
 *   - timestamps and dates (20251123143000, 2025-11-23 14:30:00).
 * Groups separated by one space or '-' are read together, so
 * "6228 4804 0256 4890 018" is one card; two numbers separated by a space
 * are read as two.
 *
 * Offsets are byte offsets into the text given; the findings say where each
 * original is, so a caller can encrypt it (see secure/fieldcrypt.h) before
 * the text is stored masked. Pure functions, no global state, thread-safe.
 */
#ifndef KESU_PII_H
#define KESU_PII_H

#include <stdbool.h>
#include <stddef.h>

#include "base/strbuf.h"

enum pii_type {
    PII_MOBILE,
    PII_LANDLINE,
    PII_ID_NUMBER,
    PII_BANK_CARD,
    PII_EMAIL,
    PII_NAME,
    PII_NTYPES
};

/* One piece of personal data found in a text. */
struct pii_finding {
    enum pii_type type;
    size_t off, len;   /* the original: text[off .. off+len) */
    size_t moff, mlen; /* its masked form: masked->buf[moff .. moff+mlen) */
};

/* A growable list of findings; zero-initialise, reuse, free with pii_list_release(). */
struct pii_list {
    struct pii_finding *v;
    size_t n, alloc;
};

struct pii_opts {
    const char *name; /* the customer's name to mask, or NULL */
    size_t name_len;  /* its length in bytes; 0 = strlen(name) */
    unsigned types;   /* bit (1 << PII_x) per type to look for; 0 = all */
};

/*
 * Appends s[0..len) to masked with every piece of personal data replaced by
 * its masked form, and sets found (reset first; may be NULL) to the findings
 * in text order. o may be NULL. Returns the number of findings, or
 * KERR_TOOLARGE when masked's cap was reached.
 */
int pii_mask(const char *s, size_t len, const struct pii_opts *o, struct strbuf *masked,
             struct pii_list *found);

void pii_list_release(struct pii_list *l);

/* "mobile", "landline", "id_number", "bank_card", "email", "name", or NULL. */
const char *pii_type_name(enum pii_type t);

/*
 * Field helpers, for a field that is known to hold one value (the record's
 * phone, e-mail or name column). Each appends the masked value to out.
 *
 * pii_mask_phone: separators, spaces and a +86 prefix are ignored; a mobile
 * number gives 138****5678, a landline 010-****5678; anything else with 7 or
 * more digits keeps its first 3 and last 4 digits, shorter values become all
 * '*'. Returns PII_MOBILE, PII_LANDLINE or -1 (not recognised).
 *
 * pii_mask_email: z***@qq.com; a value without '@' becomes '*' per
 * character. Returns PII_EMAIL or -1.
 *
 * pii_mask_name: the surname (one character, two for the common compound
 * surnames) and one '*' per further character: 王*, 王**, 欧阳**; a one-
 * character name gives '*'. ASCII names keep each word's first letter:
 * John Smith → J*** S****. Returns PII_NAME.
 */
int pii_mask_phone(const char *s, size_t len, struct strbuf *out);
int pii_mask_email(const char *s, size_t len, struct strbuf *out);
int pii_mask_name(const char *s, size_t len, struct strbuf *out);

/* Validators, exposed for tests and for field validation. */
bool pii_luhn_ok(const char *digits, size_t n);
/* An 18-character (check character 0-9/X) or 15-digit resident ID number. */
bool pii_id_number_ok(const char *s, size_t n);

#endif
