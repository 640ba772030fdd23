/* Unit tests for the route table: every route is in the OpenAPI document, and routes are sane. */
#include "unit.h"

#include <string.h>

#include <cjson/cJSON.h>

#include "base/embedded.h"
#include "http/http.h"

static void every_route_is_documented(void **state)
{
    const struct embedded_file *f = embedded_find("docs/openapi.json");
    cJSON *doc, *paths;
    (void)state;
    assert_non_null(f);
    doc = cJSON_Parse(f->data);
    assert_non_null(doc);
    paths = cJSON_GetObjectItemCaseSensitive(doc, "paths");
    assert_non_null(paths);
    for (size_t i = 0; i < nroutes; i++) {
        cJSON *p = cJSON_GetObjectItemCaseSensitive(paths, routes[i].pattern);
        char method[16];
        size_t k;
        for (k = 0; routes[i].method[k] && k < sizeof(method) - 1; k++)
            method[k] = (char)(routes[i].method[k] - 'A' + 'a');
        method[k] = '\0';
        if (!p || !cJSON_GetObjectItemCaseSensitive(p, method))
            fail_msg("route %s %s is not in docs/openapi.json", routes[i].method,
                     routes[i].pattern);
    }
    cJSON_Delete(doc);
}

static void documented_paths_exist(void **state)
{
    const struct embedded_file *f = embedded_find("docs/openapi.json");
    cJSON *doc = cJSON_Parse(f->data), *p;
    (void)state;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(doc, "paths"))
    {
        bool found = false;
        for (size_t i = 0; i < nroutes; i++)
            found |= strcmp(routes[i].pattern, p->string) == 0;
        if (!found)
            fail_msg("docs/openapi.json documents %s, which no route serves", p->string);
    }
    cJSON_Delete(doc);
}

static void routes_are_unique_and_guarded(void **state)
{
    (void)state;
    for (size_t i = 0; i < nroutes; i++) {
        for (size_t j = i + 1; j < nroutes; j++)
            assert_false(strcmp(routes[i].method, routes[j].method) == 0 &&
                         strcmp(routes[i].pattern, routes[j].pattern) == 0);
        /* everything under /api/v1 except the document itself needs a key (or, for webhooks,
         * a signature the handler checks) and a permission */
        if (strncmp(routes[i].pattern, "/api/v1/", 8) == 0 &&
            strcmp(routes[i].pattern, "/api/v1/openapi.json") != 0) {
            bool auth_route = strncmp(routes[i].pattern, "/api/v1/auth/", 13) == 0;
            /* signing in needs no key; the other auth routes serve any signed-in caller */
            if (auth_route && strcmp(routes[i].pattern, "/api/v1/auth/login") == 0)
                continue;
            assert_true(routes[i].auth == AUTH_KEY ||
                        (routes[i].auth == AUTH_SIGNED &&
                         strncmp(routes[i].pattern, "/api/v1/hooks/", 14) == 0));
            if (!auth_route)
                assert_non_null(routes[i].perm);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_route_is_documented),
        cmocka_unit_test(documented_paths_exist),
        cmocka_unit_test(routes_are_unique_and_guarded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
