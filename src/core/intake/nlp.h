/*
 * nlp: the text-analysis stages every record goes through after cleaning
 * (intake/pipeline.h), and again with `kesu reclassify`:
 *
 *   1. category: the taxonomy's keyword and regex rules (text/taxonomy.h);
 *      where no rule fires, the taxonomy's trained model, when it names one
 *      and its answer reaches model_min_confidence. category_source is rule,
 *      model or manual; category_rules lists every rule that fired.
 *   2. sentiment: the default model for the text's language (sentiment-zh
 *      when it holds Chinese, else sentiment-en); sentiment_score is
 *      P(positive) - P(negative) in [-1, 1]; the label is the model's
 *      when it has a neutral class, else negative below -0.2, positive
 *      above 0.2 and neutral between.
 *   3. keywords: the top NLP_KEYWORDS words by TF-IDF (jieba's idf.txt, or
 *      DATA/idf.txt, recomputed from the store by `kesu idf`) as a JSON array of strings.
 *   4. severity: the taxonomy's severity rules, amounts, repeat count and
 *      negative sentiment; severity_reasons lists why.
 *
 * A category or severity set by a person (category_source / severity_source
 * "manual") or brought by the record (an import's own categories: "import";
 * a category given without a source becomes "manual") is never replaced.
 * The text analysed is the title and clean_text (or text).
 *
 * The taxonomy can be replaced while records are analysed (nlp_taxonomy_set,
 * from PUT /api/v1/taxonomy): readers hold a read lock for one record.
 * Everything else is read-only after nlp_open and shared by all threads.
 */
#ifndef KESU_NLP_H
#define KESU_NLP_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"
#include "base/strbuf.h"
#include "intake/record.h"

#define NLP_KEYWORDS 8

struct nlp;
struct segdict;
struct kw_idf;

struct nlp_opts {
    const char *data_dir;      /* holds taxonomy.json (and cache/ for the dictionary) */
    const char *seg_dict;      /* jieba dict.txt or a compiled dictionary; NULL = Debian's */
    const char *taxonomy_path; /* NULL = DATA/taxonomy.json, the shipped default when missing */
    const char *idf_path;      /* NULL = DATA/idf.txt when present, else jieba's idf.txt */
    const char *sentiment_zh;  /* model names; NULL = "sentiment-zh" / "sentiment-en"; "" = none */
    const char *sentiment_en;
};

/* Loads dictionary, models, IDF table and taxonomy. Errors name the part that failed. */
int nlp_open(const struct nlp_opts *o, struct nlp **out, struct kerr *err);
void nlp_free(struct nlp *n);

/* Runs the stages on a cleaned record, in place (replacing earlier results). */
void nlp_analyze(struct nlp *n, struct record *r);

/* The taxonomy document in force, appended to out. */
void nlp_taxonomy_get(struct nlp *n, struct strbuf *out);
/*
 * Checks a new taxonomy document (and loads the model it names), writes it
 * to the taxonomy file durably and puts it in force. KERR_INVALID names the
 * offending member; KERR_IO when it cannot be written.
 */
int nlp_taxonomy_set(struct nlp *n, const char *json, size_t len, struct kerr *err);

const struct segdict *nlp_segdict(const struct nlp *n);
const struct kw_idf *nlp_idf(const struct nlp *n);

/* The shipped default taxonomy (config/taxonomy.json, compiled in). */
const char *nlp_default_taxonomy(size_t *len);

#endif
