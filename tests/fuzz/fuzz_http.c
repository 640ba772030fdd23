/*
 * fuzz_http.c: libFuzzer target for the request parsing kesu does itself
 * (libmicrohttpd splits the request line, headers, cookies and the query
 * string): urlencoded bodies of the public form and the survey page
 * (http/urlform), JSON answers in the same shape, route matching with its
 * path parameters and ids (http/server), and the time parameters of list
 * and statistics queries (base/clock: RFC 3339 and the looser forms).
 *
 *     build/fuzz/fuzz/fuzz_http -max_total_time=60 tests/fuzz/corpus/http
 */
#include <cjson/cJSON.h>

#include "base/clock.h"
#include "base/json.h"
#include "http/http.h"
#include "http/urlform.h"

#include "fuzz.h"

#include "base/banned.h"

static void check_form(const char *s, size_t len, size_t max)
{
    struct urlform kv = {0};
    int rc = urlform_parse(s, len, max, &kv);
    if (kv.n > max || (rc < 0 && kv.n != max))
        abort();
    for (size_t i = 0; i < kv.n; i++) {
        if (strlen(kv.key[i]) > len || strlen(kv.val[i]) > len)
            abort();
        if (urlform_get(&kv, kv.key[i]) == NULL)
            abort();
    }
    urlform_free(&kv);
}

static void check_time(const char *s, size_t len)
{
    int64_t ms, ms2;
    if (clock_parse(s, len, &ms) == 0) {
        char out[CLOCK_FMT_MAX];
        clock_format(ms, out);
        /* what clock_format writes, clock_parse reads back */
        if (clock_parse(out, strlen(out), &ms2) < 0 || ms2 != ms)
            abort();
        if (clock_parse_loose(s, len, &ms2) < 0 || ms2 != ms)
            abort();
    } else {
        (void)clock_parse_loose(s, len, &ms);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    char *z;

    check_form(s, size, 16);
    check_form(s, size, URLFORM_MAX);
    if (size < 128)
        check_time(s, size);

    z = fuzz_strndup(data, size);
    if (size < 512) {
        static struct req r;
        for (size_t i = 0; i < nroutes; i++) {
            memset(&r, 0, sizeof r);
            if (req_match(routes[i].pattern, z, &r))
                for (int k = 0; k < REQ_MAX_PARAMS; k++) {
                    int64_t id = req_param_id(&r, k);
                    if (id == 0 || id < -1)
                        abort();
                }
        }
    }
    if (size < 4096) {
        struct kerr e;
        cJSON *j = json_parse_checked(s, size, &e);
        if (j && cJSON_IsObject(j)) {
            struct urlform kv = {0};
            const char *bad = NULL;
            (void)urlform_from_json(j, 24, &kv, &bad);
            urlform_free(&kv);
        }
        cJSON_Delete(j);
    }
    free(z);
    return 0;
}
