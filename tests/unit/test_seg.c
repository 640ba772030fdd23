/*
 * Unit tests for core/text/seg and segdict: the golden files in
 * tests/fixtures/seg (tokens python3-jieba gave for the same texts, with and
 * without HMM, with and without a user dictionary), invariants on random
 * bytes and invalid UTF-8, several threads sharing one dictionary, the
 * compiled-file cache, and damaged or bad dictionaries. The dictionary
 * sources are Debian's python3-jieba (a build dependency of kesu).
 */
#include "unit.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "base/strbuf.h"
#include "text/seg.h"
#include "text/segdict.h"

#include "base/banned.h"

#define FIXTURES "tests/fixtures/seg/"

static struct segdict *dict;      /* jieba's dictionary */
static struct segdict *user_dict; /* plus tests/fixtures/seg/user.dict */

/* Collects tokens as a JSON array (cJSON) and checks that they tile the text. */
struct collect {
    const char *text;
    size_t pos;
    cJSON *arr;
    long stop_after; /* stop the cut after this many tokens (-1 = never) */
    long n;
};

static int collect_cb(void *arg, const char *tok, size_t len)
{
    struct collect *c = arg;
    assert_true(len > 0);
    assert_ptr_equal(tok, c->text + c->pos); /* tokens come in order and cover the text */
    c->pos += len;
    if (c->arr) {
        char *s = strndup(tok, len);
        cJSON_AddItemToArray(c->arr, cJSON_CreateString(s));
        free(s);
    }
    c->n++;
    return c->stop_after >= 0 && c->n >= c->stop_after ? 42 : 0;
}

static cJSON *cut(const struct segdict *d, const char *text, size_t len, unsigned flags)
{
    struct collect c = {text, 0, cJSON_CreateArray(), -1, 0};
    assert_int_equal(seg_cut(d, text, len, flags, collect_cb, &c), 0);
    assert_int_equal(c.pos, len);
    return c.arr;
}

static int setup(void **state)
{
    struct segdict_src src = SEGDICT_SRC_DEFAULT;
    struct kerr e;
    struct strbuf img = STRBUF_INIT;
    (void)state;
    if (segdict_build(&src, &img, &e) < 0 || !(dict = segdict_from_image(&img, &e))) {
        fprintf(stderr, "cannot build the jieba dictionary: %s\n", e.message);
        return -1;
    }
    src.user_dict = FIXTURES "user.dict";
    if (segdict_build(&src, &img, &e) < 0 || !(user_dict = segdict_from_image(&img, &e))) {
        fprintf(stderr, "cannot build with the user dictionary: %s\n", e.message);
        return -1;
    }
    strbuf_release(&img);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    segdict_close(dict);
    segdict_close(user_dict);
    return 0;
}

/* Checks every record of one golden file; returns how many texts it held. */
static int check_golden(const char *name)
{
    char path[256], *line = NULL;
    size_t cap = 0;
    ssize_t n;
    cJSON *text = NULL;
    const struct segdict *d = dict;
    int texts = 0, failures = 0;
    FILE *f;

    snprintf(path, sizeof(path), FIXTURES "%s", name);
    f = fopen(path, "r");
    assert_non_null(f);
    while ((n = getline(&line, &cap, f)) >= 0) {
        unsigned flags;
        const char *v;
        line[strcspn(line, "\n")] = '\0';
        if (!strncmp(line, "userdict:", 9)) {
            d = user_dict;
            continue;
        }
        if (!strncmp(line, "text:", 5)) {
            cJSON_Delete(text);
            text = cJSON_Parse(line + 5);
            assert_true(cJSON_IsString(text));
            texts++;
            continue;
        }
        if (!strncmp(line, "hmm:", 4))
            flags = SEG_HMM, v = line + 4;
        else if (!strncmp(line, "nohmm:", 6))
            flags = 0, v = line + 6;
        else
            continue;
        assert_non_null(text);
        cJSON *want = cJSON_Parse(v);
        assert_non_null(want);
        cJSON *got = cut(d, text->valuestring, strlen(text->valuestring), flags);
        if (!cJSON_Compare(want, got, true)) {
            char *g = cJSON_PrintUnformatted(got);
            fprintf(stderr, "%s: %s\n  want %s\n  got  %s\n", name, text->valuestring, v, g);
            free(g);
            failures++;
        }
        cJSON_Delete(want);
        cJSON_Delete(got);
    }
    cJSON_Delete(text);
    free(line);
    fclose(f);
    assert_int_equal(failures, 0);
    return texts;
}

static void test_golden_basic(void **state)
{
    (void)state;
    assert_true(check_golden("basic.txt") >= 20);
}

static void test_golden_mixed(void **state)
{
    (void)state;
    assert_true(check_golden("mixed.txt") >= 30);
}

static void test_golden_hmm(void **state)
{
    (void)state;
    assert_true(check_golden("hmm.txt") >= 10);
}

static void test_golden_user_dict(void **state)
{
    (void)state;
    assert_true(check_golden("user.txt") >= 10);
}

/* The golden files must be able to fail: a wrong dictionary gives other tokens. */
static void test_user_dict_changes_cuts(void **state)
{
    const char *t = "李小福是创新办主任也是云计算方面的专家";
    cJSON *a = cut(dict, t, strlen(t), SEG_HMM), *b = cut(user_dict, t, strlen(t), SEG_HMM);
    (void)state;
    assert_false(cJSON_Compare(a, b, true));
    assert_string_equal(cJSON_GetArrayItem(b, 0)->valuestring, "李小福");
    cJSON_Delete(a);
    cJSON_Delete(b);
}

static void test_stop_and_empty(void **state)
{
    const char *t = "我来到北京清华大学";
    struct collect c = {t, 0, NULL, 2, 0};
    (void)state;
    assert_int_equal(seg_cut(dict, t, strlen(t), SEG_HMM, collect_cb, &c), 42);
    assert_int_equal(c.n, 2);
    c = (struct collect){t, 0, NULL, -1, 0};
    assert_int_equal(seg_cut(dict, t, 0, SEG_HMM, collect_cb, &c), 0);
    assert_int_equal(c.n, 0);
}

/* Invalid UTF-8: every bad byte is a token of its own, and han blocks around it are cut. */
static void test_invalid_utf8(void **state)
{
    const char t[] = "北京\xff\xfe清华\xe5\xa4大学\xed\xa0\x80\xc0\xaf\xe4\xb8";
    cJSON *got = cut(dict, t, sizeof(t) - 1, SEG_HMM);
    char *s = cJSON_PrintUnformatted(got);
    (void)state;
    assert_string_equal(s, "[\"北京\",\"\xff\",\"\xfe\",\"清华\",\"\xe5\",\"\xa4\",\"大学\","
                           "\"\xed\",\"\xa0\",\"\x80\",\"\xc0\",\"\xaf\",\"\xe4\",\"\xb8\"]");
    free(s);
    cJSON_Delete(got);
}

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Random bytes, and random mixes of han characters, ASCII and junk: tokens always tile the input.
 */
static void test_random_bytes(void **state)
{
    static const char *const pieces[] = {"中", "国",   "人",   "a", "1",        ".",
                                         "%",  "\xe4", "\xff", " ", "\r",       "\n",
                                         "-",  "鿕",  "鿖",  "😀", "\xe9\xbf", "我们"};
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    char buf[1200];
    (void)state;
    for (int round = 0; round < 3000; round++) {
        size_t len = rng_next(&seed) % 1000;
        if (round % 2) {
            for (size_t i = 0; i < len; i++)
                buf[i] = (char)rng_next(&seed);
        } else {
            size_t i = 0;
            while (i < len) {
                const char *p = pieces[rng_next(&seed) % (sizeof(pieces) / sizeof(*pieces))];
                size_t pl = strlen(p);
                if (i + pl > len)
                    break;
                memcpy(buf + i, p, pl);
                i += pl;
            }
            len = i;
        }
        for (unsigned flags = 0; flags <= SEG_HMM; flags++) {
            struct collect c = {buf, 0, NULL, -1, 0};
            assert_int_equal(seg_cut(dict, buf, len, flags, collect_cb, &c), 0);
            assert_int_equal(c.pos, len);
        }
    }
}

/* A block longer than the stack buffers (heap path) and a long HMM run. */
static void test_long_block(void **state)
{
    struct strbuf sb = STRBUF_INIT;
    (void)state;
    for (int i = 0; i < 300; i++)
        strbuf_addstr(&sb, "我来到北京清华大学iPhone15很好用");
    for (int i = 0; i < 400; i++)
        strbuf_addstr(&sb, "翠");
    cJSON *a = cut(dict, sb.buf, sb.len, SEG_HMM);
    assert_true(cJSON_GetArraySize(a) > 1500);
    assert_string_equal(cJSON_GetArrayItem(a, 1)->valuestring, "来到");
    cJSON_Delete(a);
    a = cut(dict, sb.buf, sb.len, 0);
    cJSON_Delete(a);
    strbuf_release(&sb);
}

struct thread_arg {
    char *expect; /* JSON of the single-threaded cut */
    int failures;
};

static const char *const thread_texts[] = {
    "小明硕士毕业于中国科学院计算所，后在日本京都大学深造",
    "快递三天了还没到，客服态度很差，打了三次电话都没人接！",
    "王尼玛和张全蛋在杭研大厦见面, iPhone15 2999.5元",
};

static char *cut_all_json(void)
{
    struct strbuf sb = STRBUF_INIT;
    for (size_t i = 0; i < 3; i++) {
        cJSON *a = cut(dict, thread_texts[i], strlen(thread_texts[i]), SEG_HMM);
        char *s = cJSON_PrintUnformatted(a);
        strbuf_addstr(&sb, s);
        free(s);
        cJSON_Delete(a);
    }
    return strbuf_detach(&sb, NULL);
}

static void *thread_main(void *p)
{
    struct thread_arg *a = p;
    for (int r = 0; r < 200; r++) {
        char *got = cut_all_json();
        a->failures += strcmp(got, a->expect) != 0;
        free(got);
    }
    return NULL;
}

static void test_threads(void **state)
{
    pthread_t th[4];
    struct thread_arg args[4];
    char *expect = cut_all_json();
    (void)state;
    for (int i = 0; i < 4; i++) {
        args[i] = (struct thread_arg){expect, 0};
        assert_int_equal(pthread_create(&th[i], NULL, thread_main, &args[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(args[i].failures, 0);
    }
    free(expect);
}

static void write_text(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

/* The cache: first load compiles and writes a file, the second maps it; both cut alike. */
static void test_cache_and_files(void **state)
{
    char dir[] = "/tmp/kesu-seg-XXXXXX", path[512], cache[512];
    struct segdict_src src = SEGDICT_SRC_DEFAULT;
    struct segdict_info info;
    struct kerr e;
    const char *t = "他来到了网易杭研大厦";
    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(cache, sizeof(cache), "%s/cache", dir);
    struct segdict *a = segdict_load(&src, cache, &e);
    assert_non_null(a);
    segdict_get_info(a, &info);
    assert_false(info.mapped);
    assert_true(info.words > 340000);
    assert_int_equal(info.total, 60101967); /* jieba's Tokenizer.total for Debian's dict.txt */
    struct segdict *b = segdict_load(&src, cache, &e);
    assert_non_null(b);
    segdict_get_info(b, &info);
    assert_true(info.mapped);
    cJSON *x = cut(a, t, strlen(t), SEG_HMM), *y = cut(b, t, strlen(t), SEG_HMM);
    assert_true(cJSON_Compare(x, y, true));
    cJSON_Delete(x);
    cJSON_Delete(y);
    segdict_close(a);
    segdict_close(b);

    snprintf(path, sizeof(path), "%s/seg.dict", dir);
    assert_int_equal(segdict_build_file(&src, path, &e), 0);
    assert_true(segdict_is_compiled(path));
    assert_false(segdict_is_compiled(SEGDICT_DEFAULT_DICT));
    a = segdict_open(path, &e);
    assert_non_null(a);
    segdict_close(a);

    /* damaged files are refused, never mapped into a crash */
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    FILE *f = fopen(path, "rb");
    char *img = malloc((size_t)st.st_size);
    assert_int_equal(fread(img, 1, (size_t)st.st_size, f), (size_t)st.st_size);
    fclose(f);
    write_text(path, img, (size_t)st.st_size / 2);
    assert_null(segdict_open(path, &e));
    assert_string_equal(e.code, "seg_dict_damaged");
    img[8] ^= 0x7f; /* version */
    write_text(path, img, (size_t)st.st_size);
    assert_null(segdict_open(path, &e));
    assert_string_equal(e.code, "seg_dict_version");
    img[8] ^= 0x7f;
    uint64_t off_nodes;
    memcpy(&off_nodes, img + 8 + 4 * 6 + 8 + 8 + 8, 8); /* header.off_nodes */
    memset(img + off_nodes + 16 * 5 + 8, 0xff, 4);      /* node 5's child index */
    write_text(path, img, (size_t)st.st_size);
    assert_null(segdict_open(path, &e));
    assert_string_equal(e.code, "seg_dict_damaged");
    free(img);
    write_text(path, "word", 4);
    assert_null(segdict_open(path, &e));
    assert_null(segdict_open("/nonexistent/seg.dict", &e));
    assert_int_equal(e.code[0] != '\0', 1);
    unlink(path);
    snprintf(path, sizeof(path), "rm -rf '%s'", dir);
    assert_int_equal(system(path), 0);
}

/* Bad sources: a missing file, a line without frequency, a user line with a huge one. */
static void test_bad_sources(void **state)
{
    char dir[] = "/tmp/kesu-seg-XXXXXX", path[512];
    struct segdict_src src = SEGDICT_SRC_DEFAULT;
    struct strbuf img = STRBUF_INIT;
    struct kerr e;
    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/dict.txt", dir);
    src.dict = path;
    assert_int_equal(segdict_build(&src, &img, &e), KERR_IO);
    write_text(path, "中国 10 ns\n北京\n", strlen("中国 10 ns\n北京\n"));
    assert_int_equal(segdict_build(&src, &img, &e), KERR_INVALID);
    assert_int_equal(e.line, 2);
    write_text(path, "中国 10 ns\n北京 3\n", strlen("中国 10 ns\n北京 3\n"));
    assert_int_equal(segdict_build(&src, &img, &e), 0);
    snprintf(path, sizeof(path), "%s/user.dict", dir);
    src.dict = NULL;
    src.user_dict = path;
    write_text(path, "好词 99999999999999999999\n", strlen("好词 99999999999999999999\n"));
    assert_int_equal(segdict_build(&src, &img, &e), KERR_INVALID);
    src.user_dict = NULL;
    src.hmm_dir = dir;
    assert_int_equal(segdict_build(&src, &img, &e), KERR_IO);
    strbuf_release(&img);
    snprintf(path, sizeof(path), "rm -rf '%s'", dir);
    assert_int_equal(system(path), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_basic),
        cmocka_unit_test(test_golden_mixed),
        cmocka_unit_test(test_golden_hmm),
        cmocka_unit_test(test_golden_user_dict),
        cmocka_unit_test(test_user_dict_changes_cuts),
        cmocka_unit_test(test_stop_and_empty),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_random_bytes),
        cmocka_unit_test(test_long_block),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_cache_and_files),
        cmocka_unit_test(test_bad_sources),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
