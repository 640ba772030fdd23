/*
 * clean_bench: throughput of kesu's text-cleaning stages (normalize, t2s
 * precheck and conversion, PII masking, SimHash and exact key) over the
 * "text" field of a JSON Lines file, as intake runs them on every record.
 * Built and run by bench/clean.sh.
 *
 *     clean_bench FILE [THREADS] [nosimhash]
 *
 * The texts are read into memory first (JSON parsing is not timed); then
 * THREADS threads (default 2) share the records in chunks of 1024, each with
 * its own buffers and one shared struct t2s (one OpenCC handle per thread).
 * Prints "key value" lines: records, bytes, seconds and records/s for the
 * whole pipeline on THREADS threads and on one thread, per-stage
 * nanoseconds per record on one thread over the first 200,000 records
 * (t2s also split into its precheck alone), and counts (converted, PII
 * found) for comparison with the Python peer. With "nosimhash" only the
 * THREADS-thread run is made, without the SimHash stage.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "base/strbuf.h"
#include "text/normalize.h"
#include "text/pii.h"
#include "text/simhash.h"
#include "text/t2s.h"

struct corpus {
    char *buf;
    size_t *off, *len;
    size_t n;
};

struct shared {
    const struct corpus *c;
    struct t2s *t2s;
    bool simhash;
    atomic_size_t next;
    atomic_long converted, pii;
    atomic_ullong check; /* xor of fingerprints, so nothing is optimised away */
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int load(const char *path, struct corpus *c)
{
    FILE *f = fopen(path, "r");
    struct strbuf all = STRBUF_INIT;
    size_t cap = 0, alloc = 1 << 16;
    char *line = NULL;
    ssize_t n;
    if (!f)
        return -1;
    c->off = malloc(alloc * sizeof(size_t));
    c->len = malloc(alloc * sizeof(size_t));
    while ((n = getline(&line, &cap, f)) > 0) {
        cJSON *j = cJSON_ParseWithLength(line, (size_t)n);
        cJSON *t = j ? cJSON_GetObjectItemCaseSensitive(j, "text") : NULL;
        if (cJSON_IsString(t)) {
            if (c->n == alloc) {
                alloc *= 2;
                c->off = realloc(c->off, alloc * sizeof(size_t));
                c->len = realloc(c->len, alloc * sizeof(size_t));
            }
            c->off[c->n] = all.len;
            c->len[c->n] = strlen(t->valuestring);
            strbuf_add(&all, t->valuestring, c->len[c->n]);
            c->n++;
        }
        cJSON_Delete(j);
    }
    free(line);
    fclose(f);
    c->buf = strbuf_detach(&all, NULL);
    return 0;
}

static void *worker(void *arg)
{
    struct shared *s = arg;
    struct strbuf norm = STRBUF_INIT, clean = STRBUF_INIT, masked = STRBUF_INIT;
    struct pii_list pl = {0};
    long conv = 0, pii = 0;
    unsigned long long check = 0;
    size_t i;

    while ((i = atomic_fetch_add(&s->next, 1024)) < s->c->n) {
        size_t end = i + 1024 < s->c->n ? i + 1024 : s->c->n;
        for (; i < end; i++) {
            const char *t = s->c->buf + s->c->off[i];
            strbuf_reset(&norm);
            strbuf_reset(&clean);
            strbuf_reset(&masked);
            normalize_text(t, s->c->len[i], &norm, 0);
            conv += t2s_convert(s->t2s, norm.buf, norm.len, &clean, NULL) == 1;
            pii += pii_mask(clean.buf, clean.len, NULL, &masked, &pl);
            check ^=
                simhash_compute(clean.buf, clean.len) ^ simhash_exact_key(clean.buf, clean.len);
        }
    }
    atomic_fetch_add(&s->converted, conv);
    atomic_fetch_add(&s->pii, pii);
    atomic_fetch_xor(&s->check, check);
    strbuf_release(&norm);
    strbuf_release(&clean);
    strbuf_release(&masked);
    pii_list_release(&pl);
    return NULL;
}

static double run(struct shared *s, int threads)
{
    pthread_t th[64];
    double t0 = now();
    atomic_store(&s->next, 0);
    atomic_store(&s->converted, 0);
    atomic_store(&s->pii, 0);
    for (int k = 0; k < threads; k++)
        pthread_create(&th[k], NULL, worker, s);
    for (int k = 0; k < threads; k++)
        pthread_join(th[k], NULL);
    return now() - t0;
}

/* Per-stage cost on one thread, each stage over the output of the one before. */
static void stages(const struct corpus *c, struct t2s *t2s)
{
    struct strbuf norm = STRBUF_INIT, clean = STRBUF_INIT, masked = STRBUF_INIT;
    struct pii_list pl = {0};
    double tn = 0, tt = 0, tp = 0, ts = 0, tc = 0, t0;
    long need = 0;
    unsigned long long check = 0;
    size_t n = c->n < 200000 ? c->n : 200000;
    for (size_t i = 0; i < n; i++) {
        strbuf_reset(&norm);
        strbuf_reset(&clean);
        strbuf_reset(&masked);
        t0 = now();
        normalize_text(c->buf + c->off[i], c->len[i], &norm, 0);
        tn += now() - t0, t0 = now();
        need += t2s_needed(t2s, norm.buf, norm.len);
        tc += now() - t0, t0 = now();
        t2s_convert(t2s, norm.buf, norm.len, &clean, NULL);
        tt += now() - t0, t0 = now();
        pii_mask(clean.buf, clean.len, NULL, &masked, &pl);
        tp += now() - t0, t0 = now();
        check ^= simhash_compute(clean.buf, clean.len) ^ simhash_exact_key(clean.buf, clean.len);
        ts += now() - t0;
    }
    printf("stage_normalize_ns %.0f\nstage_t2s_ns %.0f\nstage_pii_ns %.0f\nstage_simhash_ns "
           "%.0f\nstage_precheck_ns %.0f\nstage_check %llx\n",
           tn / (double)n * 1e9, tt / (double)n * 1e9, tp / (double)n * 1e9, ts / (double)n * 1e9,
           tc / (double)n * 1e9, check & 0xff);
    printf("stage_records %zu\nstage_converted %ld\n", n, need);
    strbuf_release(&norm);
    strbuf_release(&clean);
    strbuf_release(&masked);
    pii_list_release(&pl);
}

int main(int argc, char **argv)
{
    struct corpus c = {0};
    struct shared s;
    struct kerr e;
    int threads = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 2;
    double t0, dt;
    size_t bytes = 0;

    if (argc < 2 || threads < 1 || threads > 64 || (argc > 3 && strcmp(argv[3], "nosimhash"))) {
        fprintf(stderr, "usage: clean_bench FILE [THREADS] [nosimhash]\n");
        return 2;
    }
    if (load(argv[1], &c) < 0 || c.n == 0) {
        fprintf(stderr, "clean_bench: cannot read texts from %s\n", argv[1]);
        return 1;
    }
    for (size_t i = 0; i < c.n; i++)
        bytes += c.len[i];
    memset(&s, 0, sizeof s);
    s.c = &c;
    s.simhash = argc < 4;
    t0 = now();
    if (t2s_new(NULL, (unsigned)threads, &s.t2s, &e) < 0) {
        fprintf(stderr, "clean_bench: %s\n", e.message);
        return 1;
    }
    printf("records %zu\nbytes %zu\nt2s_startup_ms %.1f\n", c.n, bytes, (now() - t0) * 1e3);
    run(&s, threads); /* warm-up: page in, open the OpenCC handles */
    dt = run(&s, threads);
    printf("threads %d\nseconds %.3f\nrecords_per_s %.0f\nmb_per_s %.1f\n", threads, dt,
           (double)c.n / dt, (double)bytes / dt / 1e6);
    printf("converted %ld\npii_found %ld\n", atomic_load(&s.converted), atomic_load(&s.pii));
    if (!s.simhash)
        goto out;
    dt = run(&s, 1);
    printf("seconds_1thread %.3f\nrecords_per_s_1thread %.0f\n", dt, (double)c.n / dt);
    stages(&c, s.t2s);
out:
    t2s_free(s.t2s);
    free(c.buf);
    free(c.off);
    free(c.len);
    return 0;
}
