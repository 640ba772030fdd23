/*
 * test_channels.c: webhook signatures and payload mapping (intake/channels),
 * for the inputs fuzzing found mishandled: timestamps and numbers far outside
 * the int64 range.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <sodium.h>

#include "intake/channels.h"
#include "intake/record.h"
#include "unit.h"

#include "base/banned.h"

#define NOW_MS 1772323200000LL

static struct hook_source source(const char *ts_header)
{
    static unsigned char secret[] = "0123456789abcdef";
    static const char *ptrs[] = {"/t", "/n", "/x"};
    struct hook_source h;
    memset(&h, 0, sizeof h);
    h.name = "p";
    h.secret = secret;
    h.secret_len = 16;
    h.signature_header = "X-Sig";
    h.timestamp_header = (char *)ts_header;
    h.channel = "ecommerce";
    h.nfields = 3;
    h.fields[0].field = record_field_by_name("received_at");
    h.fields[0].pointer = (char *)ptrs[0];
    h.fields[1].field = record_field_by_name("external_id");
    h.fields[1].pointer = (char *)ptrs[1];
    h.fields[2].field = record_field_by_name("text");
    h.fields[2].pointer = (char *)ptrs[2];
    return h;
}

static void sign(const struct hook_source *h, const char *ts, const char *body, char hex[65])
{
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, h->secret, h->secret_len);
    if (ts) {
        crypto_auth_hmacsha256_update(&st, (const unsigned char *)ts, strlen(ts));
        crypto_auth_hmacsha256_update(&st, (const unsigned char *)".", 1);
    }
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, strlen(body));
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_bin2hex(hex, 65, mac, sizeof mac);
}

/* A timestamp header of any size is judged stale, never multiplied past int64 (fuzz_hook). */
static void huge_timestamps_are_stale(void **state)
{
    struct hook_source h = source("X-Ts");
    static const char *const stale[] = {"9223372036854775807",  "-9223372036854775808",
                                        "99999999999999999999", "1772777777777323200",
                                        "1772322899",           "1772323501"};
    static const char *const fresh[] = {"1772323200", "1772322900", "1772323500"};
    const char *body = "{\"x\":\"hi\"}";
    char hex[65];
    struct kerr e;
    (void)state;
    for (size_t i = 0; i < sizeof stale / sizeof stale[0]; i++) {
        sign(&h, stale[i], body, hex);
        assert_int_equal(hook_verify(&h, body, strlen(body), hex, stale[i], NOW_MS, &e), KERR_AUTH);
        assert_string_equal(e.code, "stale_timestamp");
    }
    for (size_t i = 0; i < sizeof fresh / sizeof fresh[0]; i++) {
        sign(&h, fresh[i], body, hex);
        assert_int_equal(hook_verify(&h, body, strlen(body), hex, fresh[i], NOW_MS, &e), 0);
    }
}

static int map(const char *json, struct record *r, struct kerr *e)
{
    struct hook_source h = source(NULL);
    cJSON *j = cJSON_Parse(json);
    int rc;
    assert_non_null(j);
    record_init(r);
    rc = hook_map(&h, j, r, e);
    cJSON_Delete(j);
    return rc;
}

/* Numbers beyond int64 (1e300, 1e999 read as infinity) are refused or written as text. */
static void huge_numbers_map_without_overflow(void **state)
{
    static const char *const bad_times[] = {"{\"t\":1e300}", "{\"t\":-1e300}", "{\"t\":1e999}",
                                            "{\"t\":9.3e18}", "{\"t\":1e16}"};
    struct record r;
    struct kerr e;
    (void)state;
    for (size_t i = 0; i < sizeof bad_times / sizeof bad_times[0]; i++) {
        assert_int_equal(map(bad_times[i], &r, &e), KERR_INVALID);
        assert_string_equal(e.field, "received_at");
        record_release(&r);
    }
    assert_int_equal(map("{\"t\":1772000000,\"n\":1e300,\"x\":\"a\"}", &r, &e), 0);
    assert_int_equal(r.received_at, 1772000000000LL);
    assert_string_equal(r.external_id, "1.0000000000000001e+300");
    record_release(&r);
    assert_int_equal(map("{\"t\":1772000000123,\"n\":-12,\"x\":\"a\"}", &r, &e), 0);
    assert_int_equal(r.received_at, 1772000000123LL);
    assert_string_equal(r.external_id, "-12");
    record_release(&r);
}

static int load(const char *json, struct channels_conf **c, struct kerr *e)
{
    const char *path = "build/test_channels.json";
    FILE *f = fopen(path, "wb");
    int rc;
    assert_non_null(f);
    fputs(json, f);
    fclose(f);
    *c = NULL;
    rc = channels_load(path, c, e);
    unlink(path);
    return rc;
}

/* Sections given as arrays (their items have no names) or out of range are refused, naming
 * the section, not read as names (fuzz_hook: a NULL name reached xstrdup). */
static void refuses_misshapen_config(void **state)
{
    static const struct {
        const char *json, *field;
    } bad[] = {
        {"{\"forms\":[\"web\",\"hotline\"]}", "forms"},
        {"{\"hooks\":[{\"secret\":\"0123456789abcdef\"}]}", "hooks"},
        {"{\"rules\":[\"ecommerce\"]}", "rules"},
        {"{\"devices\":[3]}", "devices"},
        {"{\"rate_limit\":{\"form_per_minute\":1e300}}", "rate_limit.form_per_minute"},
        {"[1,2]", "channels"},
    };
    struct channels_conf *c;
    struct kerr e;
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(load(bad[i].json, &c, &e), KERR_INVALID);
        assert_null(c);
        assert_string_equal(e.field, bad[i].field);
    }
    assert_int_equal(
        load("{\"forms\":{\"web\":{}},\"rate_limit\":{\"form_per_minute\":20}}", &c, &e), 0);
    assert_int_equal(c->form_per_minute, 20);
    assert_non_null(channels_form(c, "web"));
    channels_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(huge_timestamps_are_stale),
        cmocka_unit_test(huge_numbers_map_without_overflow),
        cmocka_unit_test(refuses_misshapen_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
