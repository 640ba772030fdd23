/*
 * routing: rules as data that send a new case to a team, with a priority,
 * an SLA policy and tags. A rule's conditions are lists of accepted values
 * per attribute (any of them matches; an absent list matches everything);
 * all present conditions must hold. Rules are ordered by position; in mode
 * "first" the first matching rule decides, in mode "all" every matching rule
 * applies in order (a later rule's team, priority or policy overrides an
 * earlier one's; tags accumulate). Pure: no I/O.
 *
 * {"name":"物流投诉","position":10,"enabled":true,
 *  "when":{"channel":["ecommerce"],"category":["物流"],"product":[],"region":[],
 *          "severity":["high","critical"],"customer_segment":["vip"],"keywords":["快递","物流"]},
 *  "then":{"team":"logistics","priority":"p2","sla_policy":"standard","tags":["物流"]}}
 */
#ifndef KESU_ROUTING_H
#define KESU_ROUTING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/jsonw.h"
#include "intake/record.h"

enum routing_attr {
    RA_CHANNEL,
    RA_CATEGORY, /* any of category_l1..l3 */
    RA_PRODUCT,
    RA_REGION,
    RA_SEVERITY,
    RA_SEGMENT,  /* customer_segment */
    RA_KEYWORDS, /* any value is a substring of the title, text or cleaned text */
    RA__COUNT
};
extern const char *const routing_attr_names[RA__COUNT];

#define ROUTING_VALUES_MAX 32
#define ROUTING_TAGS_MAX   16

struct routing_rule {
    int64_t id;
    int position;
    bool enabled;
    char *name;
    size_t nvals[RA__COUNT];
    char *vals[RA__COUNT][ROUTING_VALUES_MAX];
    char *team, *priority, *sla_policy;
    size_t ntags;
    char *tags[ROUTING_TAGS_MAX];
};

enum routing_mode { ROUTING_FIRST, ROUTING_ALL };

/* Parses a rule from its JSON (as the API takes and the store keeps it); errors name the field. */
int routing_rule_parse(const char *json, size_t len, struct routing_rule *out, struct kerr *err);
void routing_rule_release(struct routing_rule *r);
/* Writes the rule as a JSON object (with its id). */
void routing_rule_write(const struct routing_rule *r, struct jsonw *w);
/* True when every condition of the rule holds for rec. */
bool routing_rule_matches(const struct routing_rule *r, const struct record *rec);

/* The outcome of routing one record; strings borrowed from the rules. */
struct routing_outcome {
    const char *team, *priority, *sla_policy;
    size_t ntags;
    const char *tags[ROUTING_TAGS_MAX];
    size_t nmatched;
    int64_t matched[ROUTING_TAGS_MAX]; /* ids of the rules that applied (first 16) */
};
/* Applies rules[0..n) (sorted by position) to rec. */
void routing_apply(const struct routing_rule *rules, size_t n, enum routing_mode mode,
                   const struct record *rec, struct routing_outcome *out);

#endif
