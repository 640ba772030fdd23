/*
 * pipeline: the cleaning stages every record goes through between a door
 * (API, form, webhook, import, demo) and the store, the same for all:
 *
 *   1. personal data: phones, ID numbers, bank cards, e-mail and the
 *      customer's own name are masked in text and title (text/pii.h), the
 *      phone, e-mail and name fields are masked too; the unmasked originals
 *      are sealed together into pii_vault (secure/fieldcrypt.h). Nothing
 *      unmasked goes further: not to the search index, not to replies.
 *   2. clean_text: the masked text with HTML, entities, widths, punctuation,
 *      whitespace and noise cleaned (text/normalize.h), then converted from
 *      traditional to simplified Chinese when it holds a traditional-only
 *      character (text/t2s.h). text keeps the customer's own script.
 *   3. fingerprints for duplicates: simhash of clean_text (texts under 15
 *      characters get none: too few shingles) and dup_key of customer and
 *      clean_text; the store links duplicates (store/dedup.c).
 *   4. quality bits: what was corrected, masked, converted (record.h), and
 *      rating_norm: the rating on 0..100 whatever its scale (the raw rating
 *      and scale stay).
 *   5. text analysis, when an nlp is attached (intake/nlp.h): category,
 *      sentiment, keywords, severity.
 *
 * Pure per record, thread-safe: one struct pipeline is shared by all threads.
 */
#ifndef KESU_PIPELINE_H
#define KESU_PIPELINE_H

#include "base/error.h"
#include "intake/record.h"

struct pipeline;

/*
 * Opens the shared parts: OpenCC and the field-encryption keyring at
 * key_path (created, mode 0600, when missing). Errors name the part.
 */
int pipeline_open(const char *key_path, struct pipeline **out, struct kerr *err);
void pipeline_free(struct pipeline *p);

struct nlp;
/* Attaches the text-analysis stages (taken over: freed by pipeline_free). */
void pipeline_set_nlp(struct pipeline *p, struct nlp *n);
/* The attached analysis stages, or NULL. */
struct nlp *pipeline_nlp(const struct pipeline *p);

/* Runs the stages on a validated record, in place. Fails only on an internal error. */
int pipeline_clean(struct pipeline *p, struct record *r, struct kerr *err);

/*
 * The originals sealed in r->pii_vault, as a JSON object of the fields that
 * were masked ({"text": …, "phone": …}), appended to out.
 */
int pipeline_reveal(struct pipeline *p, const struct record *r, struct strbuf *out,
                    struct kerr *err);

#endif
