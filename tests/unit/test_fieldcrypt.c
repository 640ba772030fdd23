/*
 * Unit tests for core/secure/fieldcrypt: key file creation and permissions,
 * round trips, tamper detection, wrong key and wrong context, rotation, and
 * malformed key files and ciphertexts. Each test works in a fresh temporary
 * directory.
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/strbuf.h"
#include "secure/fieldcrypt.h"

struct dir {
    char root[64];
    char key[128];
};

static int setup(void **state)
{
    struct dir *d = calloc(1, sizeof(*d));
    snprintf(d->root, sizeof d->root, "/tmp/kesu-fieldcrypt-XXXXXX");
    if (!mkdtemp(d->root))
        return -1;
    snprintf(d->key, sizeof d->key, "%s/keys/field.key", d->root);
    *state = d;
    return 0;
}

static int teardown(void **state)
{
    struct dir *d = *state;
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", d->root);
    if (system(cmd) != 0)
        return -1;
    free(d);
    return 0;
}

static struct fieldcrypt *open_ok(const char *path)
{
    struct fieldcrypt *fc;
    struct kerr e;
    if (fieldcrypt_open(path, &fc, &e) < 0)
        fail_msg("fieldcrypt_open(%s): %s", path, e.message);
    return fc;
}

static void seal(struct fieldcrypt *fc, const char *v, size_t n, const char *ad, struct strbuf *o)
{
    strbuf_reset(o);
    assert_int_equal(fieldcrypt_encrypt(fc, v, n, ad, ad ? strlen(ad) : 0, o), 0);
}

static int unseal(struct fieldcrypt *fc, const char *ct, const char *ad, struct strbuf *o,
                  struct kerr *e)
{
    strbuf_reset(o);
    return fieldcrypt_decrypt(fc, ct, strlen(ct), ad, ad ? strlen(ad) : 0, o, e);
}

static void creates_private_key_file(void **state)
{
    struct dir *d = *state;
    struct stat st;
    char keys[128];
    struct fieldcrypt *fc = open_ok(d->key);
    assert_int_equal(stat(d->key, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    snprintf(keys, sizeof keys, "%s/keys", d->root);
    assert_int_equal(stat(keys, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    assert_string_equal(fieldcrypt_key_id(fc), "k1");
    fieldcrypt_free(fc);
    /* opening again reads the same key */
    struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
    struct kerr e;
    fc = open_ok(d->key);
    seal(fc, "13812345678", 11, NULL, &a);
    fieldcrypt_free(fc);
    fc = open_ok(d->key);
    assert_int_equal(unseal(fc, a.buf, NULL, &b, &e), 0);
    assert_string_equal(b.buf, "13812345678");
    fieldcrypt_free(fc);
    strbuf_release(&a);
    strbuf_release(&b);
}

static void round_trip(void **state)
{
    struct dir *d = *state;
    struct fieldcrypt *fc = open_ok(d->key);
    struct strbuf ct = STRBUF_INIT, ct2 = STRBUF_INIT, pt = STRBUF_INIT;
    struct kerr e;
    static const char *const values[] = {
        "", "1", "13812345678", "110101199003074514", "王小明", "zhangsan@qq.com"};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        seal(fc, values[i], strlen(values[i]), "phone", &ct);
        assert_memory_equal(ct.buf, "k1:", 3);
        assert_int_equal(ct.len,
                         3 + (strlen(values[i]) + 40 + 2) / 3 * 4 -
                             ((strlen(values[i]) + 40) % 3 ? 3 - (strlen(values[i]) + 40) % 3 : 0));
        assert_null(strpbrk(ct.buf + 3, "+/=:"));
        assert_int_equal(unseal(fc, ct.buf, "phone", &pt, &e), 0);
        assert_int_equal(pt.len, strlen(values[i]));
        assert_memory_equal(pt.buf, values[i], pt.len);
        /* a fresh nonce each time */
        seal(fc, values[i], strlen(values[i]), "phone", &ct2);
        assert_string_not_equal(ct.buf, ct2.buf);
    }
    /* binary values with NUL bytes */
    seal(fc, "a\0b", 3, NULL, &ct);
    assert_int_equal(unseal(fc, ct.buf, NULL, &pt, &e), 0);
    assert_int_equal(pt.len, 3);
    assert_memory_equal(pt.buf, "a\0b", 3);
    fieldcrypt_free(fc);
    strbuf_release(&ct);
    strbuf_release(&ct2);
    strbuf_release(&pt);
}

static void tamper_and_context(void **state)
{
    struct dir *d = *state;
    struct fieldcrypt *fc = open_ok(d->key);
    struct strbuf ct = STRBUF_INIT, pt = STRBUF_INIT;
    struct kerr e;
    seal(fc, "6228480402564890018", 19, "feedback:42:card", &ct);
    for (size_t i = 3; i + 1 < ct.len; i += 7) {
        char saved = ct.buf[i];
        ct.buf[i] = saved == 'A' ? 'B' : 'A';
        assert_int_equal(unseal(fc, ct.buf, "feedback:42:card", &pt, &e), KERR_AUTH);
        assert_string_equal(e.code, "decrypt_failed");
        assert_int_equal(pt.len, 0);
        ct.buf[i] = saved;
    }
    assert_int_equal(unseal(fc, ct.buf, "feedback:43:card", &pt, &e), KERR_AUTH);
    assert_int_equal(unseal(fc, ct.buf, NULL, &pt, &e), KERR_AUTH);
    assert_int_equal(unseal(fc, ct.buf, "feedback:42:card", &pt, &e), 0);
    /* truncated */
    ct.buf[ct.len - 4] = 0;
    assert_true(unseal(fc, ct.buf, "feedback:42:card", &pt, &e) < 0);
    ct.buf[ct.len - 5] = 0;
    assert_true(unseal(fc, ct.buf, "feedback:42:card", &pt, &e) < 0);
    assert_int_equal(pt.len, 0);
    assert_int_equal(unseal(fc, "k1:AAAA", NULL, &pt, &e), KERR_INVALID);
    assert_int_equal(unseal(fc, "hello", NULL, &pt, &e), KERR_INVALID);
    assert_int_equal(unseal(fc, "k1:", NULL, &pt, &e), KERR_INVALID);
    assert_int_equal(
        unseal(fc, "k1:!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!", NULL, &pt, &e),
        KERR_INVALID);
    assert_int_equal(unseal(fc, "kx:AAAA", NULL, &pt, &e), KERR_INVALID);
    assert_int_equal(
        unseal(fc, "k9:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", NULL, &pt, &e),
        KERR_NOTFOUND);
    assert_string_equal(e.code, "unknown_key");
    fieldcrypt_free(fc);
    strbuf_release(&ct);
    strbuf_release(&pt);
}

static void wrong_key(void **state)
{
    struct dir *d = *state;
    char other[160];
    struct fieldcrypt *a = open_ok(d->key), *b;
    struct strbuf ct = STRBUF_INIT, pt = STRBUF_INIT;
    struct kerr e;
    snprintf(other, sizeof other, "%s/other.key", d->root);
    b = open_ok(other);
    assert_string_equal(fieldcrypt_key_id(b), "k1");
    seal(a, "13812345678", 11, NULL, &ct);
    assert_int_equal(unseal(b, ct.buf, NULL, &pt, &e), KERR_AUTH);
    fieldcrypt_free(a);
    fieldcrypt_free(b);
    strbuf_release(&ct);
    strbuf_release(&pt);
}

static void rotation(void **state)
{
    struct dir *d = *state;
    struct fieldcrypt *fc = open_ok(d->key);
    struct strbuf old = STRBUF_INIT, ct = STRBUF_INIT, pt = STRBUF_INIT;
    struct kerr e;
    struct stat st;
    char id[16];
    seal(fc, "old value", 9, NULL, &old);
    fieldcrypt_free(fc);
    assert_int_equal(fieldcrypt_rotate(d->key, id, &e), 0);
    assert_string_equal(id, "k2");
    assert_int_equal(stat(d->key, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    fc = open_ok(d->key);
    assert_string_equal(fieldcrypt_key_id(fc), "k2");
    seal(fc, "new value", 9, NULL, &ct);
    assert_memory_equal(ct.buf, "k2:", 3);
    assert_int_equal(unseal(fc, old.buf, NULL, &pt, &e), 0);
    assert_string_equal(pt.buf, "old value");
    assert_int_equal(unseal(fc, ct.buf, NULL, &pt, &e), 0);
    assert_string_equal(pt.buf, "new value");
    fieldcrypt_free(fc);
    assert_int_equal(fieldcrypt_rotate(d->key, id, &e), 0);
    assert_string_equal(id, "k3");
    strbuf_release(&old);
    strbuf_release(&ct);
    strbuf_release(&pt);
}

static void refuses_unsafe_files(void **state)
{
    struct dir *d = *state;
    struct fieldcrypt *fc = open_ok(d->key);
    struct kerr e;
    char path[160];
    FILE *f;
    fieldcrypt_free(fc);
    assert_int_equal(chmod(d->key, 0644), 0);
    assert_int_equal(fieldcrypt_open(d->key, &fc, &e), KERR_INVALID);
    assert_string_equal(e.code, "key_file_mode");
    assert_null(fc);
    assert_int_equal(chmod(d->key, 0600), 0);
    fc = open_ok(d->key);
    fieldcrypt_free(fc);

    snprintf(path, sizeof path, "%s/bad.key", d->root);
    f = fopen(path, "w");
    fputs("# comment\nk1 not-base64!\n", f);
    fclose(f);
    chmod(path, 0600);
    assert_int_equal(fieldcrypt_open(path, &fc, &e), KERR_INVALID);
    assert_string_equal(e.code, "key_file_format");
    f = fopen(path, "w");
    fputs("# only a comment\n", f);
    fclose(f);
    assert_int_equal(fieldcrypt_open(path, &fc, &e), KERR_INVALID);
    assert_string_equal(e.code, "key_file_format");

    snprintf(path, sizeof path, "%s/link.key", d->root);
    assert_int_equal(symlink(d->key, path), 0);
    assert_int_equal(fieldcrypt_open(path, &fc, &e), KERR_IO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(creates_private_key_file, setup, teardown),
        cmocka_unit_test_setup_teardown(round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(tamper_and_context, setup, teardown),
        cmocka_unit_test_setup_teardown(wrong_key, setup, teardown),
        cmocka_unit_test_setup_teardown(rotation, setup, teardown),
        cmocka_unit_test_setup_teardown(refuses_unsafe_files, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
