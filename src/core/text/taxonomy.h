/*
 * taxonomy: the analysis configuration that says what a complaint is about
 * and how serious it is, as data (one JSON document, shipped default in
 * config/taxonomy.json, edited through GET/PUT /api/v1/taxonomy):
 *
 *   {"version": 1,
 *    "model": "category-zh",            optional: a classifier (text/linear.h)
 *    "model_min_confidence": 0.5,       whose labels are category paths
 *    "categories": [                    one to three levels
 *      {"name": "物流", "rules": [...], "children": [
 *         {"name": "配送延迟", "rules": [{"id": "logistics-late",
 *            "any": ["没到", "延迟"], "all": [], "none": ["没到期"],
 *            "regex": "等了[0-9一二三四五六七八九十]+天", "priority": 10,
 *            "confidence": 0.9}]}]}],
 *    "severity": {
 *      "rules": [{"id": "regulator", "level": "high", "any": ["12315", "消协"]}],
 *      "amounts": [{"min": 1000, "level": "medium"}, {"min": 10000, "level": "high"}],
 *      "repeats": [{"min": 2, "level": "medium"}, {"min": 5, "level": "high"}],
 *      "negative_sentiment": {"min_score": 0.9, "level": "medium"},
 *      "escalate": {"high_rules": 2, "level": "critical"}}}
 *
 * A rule matches a text when at least one of its "any" terms occurs (or it
 * has none), every "all" term occurs, no "none" term (negative keywords)
 * occurs, and its "regex" (POSIX extended, matched on the UTF-8 bytes)
 * matches; a rule needs at least one of any/all/regex. Terms are matched as
 * substrings, ASCII case-insensitively.
 *
 * Categories: every matching rule is reported ("which rules fired"); the
 * record gets the category of the best one: highest priority, then the
 * deeper node, then the longer matched terms, then the earlier rule.
 * Severity: the highest level of the matching rules, amounts of money named
 * in the text (元, 块, RMB, ¥), repeat counts and strong negative sentiment,
 * each with a reason; "escalate" raises the level when that many distinct
 * high rules match.
 *
 * A parsed taxonomy is read-only and shared by all threads.
 */
#ifndef KESU_TAXONOMY_H
#define KESU_TAXONOMY_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"

#define TAX_MAX_DEPTH 3
#define TAX_MAX_NAME  64 /* bytes in a category name (the record's column limit) */
#define TAX_MAX_FIRED 16 /* rules reported per record */
#define TAX_MAX_DOC   (1u << 20)
#define TAX_MAX_TERMS 200 /* terms in one list of one rule */
#define TAX_MAX_RULES 5000

enum tax_level { TAX_LOW = 0, TAX_MEDIUM, TAX_HIGH, TAX_CRITICAL };

struct taxonomy;

/*
 * Parses and checks a taxonomy document. Errors (KERR_INVALID) name the
 * offending member as a path in err->field, e.g. "categories[2].rules[0].regex".
 */
int taxonomy_parse(const char *json, size_t len, struct taxonomy **out, struct kerr *err);
void taxonomy_free(struct taxonomy *t);

/* The classifier named by "model", or NULL; the least score its answers need. */
const char *taxonomy_model(const struct taxonomy *t);
double taxonomy_model_min(const struct taxonomy *t);
/* Number of category nodes (all levels) and of rules. */
size_t taxonomy_nodes(const struct taxonomy *t);
size_t taxonomy_rules(const struct taxonomy *t);

struct tax_category {
    const char *level[TAX_MAX_DEPTH]; /* names from the top, NULL past depth (owned by t) */
    int depth;                        /* 0: no category */
    double confidence;
    const char *fired[TAX_MAX_FIRED]; /* ids of the matching rules (owned by t) */
    int nfired;
};

/* Matches the category rules against text[0..len) (any bytes). */
void taxonomy_categorize(const struct taxonomy *t, const char *text, size_t len,
                         struct tax_category *out);

/*
 * Finds the node a model label names: a path of names joined by '/' or '>'
 * or " › " ("物流/配送延迟"), or a unique node name at any level. Fills the
 * levels of out (not fired/confidence); returns false when nothing fits.
 */
bool taxonomy_find(const struct taxonomy *t, const char *label, struct tax_category *out);

struct tax_severity_in {
    double neg_score;  /* probability of negative sentiment, or < 0 when unknown */
    long repeat_count; /* earlier records of the same complaint, 0 when unknown */
};

#define TAX_MAX_REASON 96
struct tax_severity {
    enum tax_level level;
    char reasons[TAX_MAX_FIRED][TAX_MAX_REASON]; /* "regulator: 12315", "amount: 15000" */
    int nreasons;
};

void taxonomy_severity(const struct taxonomy *t, const char *text, size_t len,
                       const struct tax_severity_in *in, struct tax_severity *out);

/* Both at once, the text scanned for terms once (intake). */
void taxonomy_analyze(const struct taxonomy *t, const char *text, size_t len,
                      const struct tax_severity_in *in, struct tax_category *cat,
                      struct tax_severity *sev);

/* "low", "medium", "high", "critical" (record_severities); -1 for another word. */
const char *tax_level_name(enum tax_level l);
int tax_level_parse(const char *s);

/*
 * The largest amount of money named in text (digits, optionally with a
 * decimal part or 万, followed by 元, 块, 圆 or preceded by ¥, RMB, CNY),
 * or 0. Exported for tests.
 */
double taxonomy_amount(const char *text, size_t len);

#endif
