/* api_lifecycle.c: erasure of a customer's personal data on request (PIPL). */
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/jsonw.h"
#include "base/utf8.h"
#include "http/api.h"
#include "intake/record.h"
#include "lifecycle/lifecycle.h"
#include "base/banned.h"

/* POST /api/v1/customers/{id}/erase {"reason": "..."} -> 200 {"customer_id","records","archived"}
 */
int api_customer_erase(struct req *r)
{
    const char *customer = r->params[0];
    cJSON *j, *reason;
    struct lifecycle_erase_result res;
    struct strbuf sb = STRBUF_INIT;
    struct jsonw w;
    struct kerr e;
    char origin[64] = "";
    int rc;

    if (!customer || !*customer || strlen(customer) > RECORD_SHORT_MAX ||
        utf8_invalid_at(customer, strlen(customer)) >= 0)
        return reply_error(r, 400, "invalid_field", "id", "not a customer id");
    if (!(j = parse_body(r)))
        return REQ_DONE;
    reason = cJSON_GetObjectItemCaseSensitive(j, "reason");
    if (!cJSON_IsString(reason) || !*reason->valuestring || strlen(reason->valuestring) > 1000 ||
        utf8_invalid_at(reason->valuestring, strlen(reason->valuestring)) >= 0) {
        cJSON_Delete(j);
        return reply_error(r, 400, "missing_field", "reason",
                           "reason is required: why the data is erased (up to 1000 bytes)");
    }
    req_client_addr(r, origin, sizeof origin);
    struct lifecycle_actor who = {r->actor, origin};
    kerr_clear(&e);
    rc = lifecycle_erase_customer(r->store, customer, reason->valuestring, &who, &res, &e);
    cJSON_Delete(j);
    if (rc < 0)
        return reply_kerr(r, rc, &e);
    jsonw_init(&w, &sb);
    jsonw_obj(&w);
    jsonw_kstr(&w, "customer_id", customer);
    jsonw_kint(&w, "records", res.records);
    jsonw_kint(&w, "archived", res.archived);
    jsonw_end(&w);
    return reply_json(r, 200, &sb);
}
