/*
 * seg_bench.c: throughput of kesu's segmenter for bench/seg.sh. Reads texts
 * (one per line) from a file, times opening the dictionary, then cuts every
 * text a few times with and without HMM (one thread, then two threads
 * sharing the dictionary) and prints one JSON object with the figures.
 *
 *     seg_bench DICT TEXTS [ROUNDS]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/strbuf.h"
#include "text/seg.h"
#include "text/segdict.h"
#include "base/banned.h"

struct job {
    const struct segdict *d;
    const char *buf;
    const size_t *off;
    size_t n;
    int rounds;
    unsigned flags;
    size_t tokens;
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int count(void *arg, const char *tok, size_t len)
{
    (void)tok;
    (void)len;
    (*(size_t *)arg)++;
    return 0;
}

static void *run(void *arg)
{
    struct job *j = arg;
    for (int r = 0; r < j->rounds; r++)
        for (size_t i = 0; i < j->n; i++)
            seg_cut(j->d, j->buf + j->off[i], j->off[i + 1] - j->off[i] - 1, j->flags, count,
                    &j->tokens);
    return NULL;
}

static long rss_kb(const char *field)
{
    char line[256];
    long v = -1;
    FILE *f = fopen("/proc/self/status", "r");
    while (f && fgets(line, sizeof(line), f))
        if (!strncmp(line, field, strlen(field)))
            v = strtol(line + strlen(field) + 1, NULL, 10);
    if (f)
        fclose(f);
    return v;
}

/* MB/s of cutting everything rounds times in nthreads threads at once. */
static double measure(struct job *base, int nthreads, size_t bytes)
{
    pthread_t th[8];
    struct job jobs[8];
    double t0 = now();
    for (int t = 0; t < nthreads; t++) {
        jobs[t] = *base;
        pthread_create(&th[t], NULL, run, &jobs[t]);
    }
    for (int t = 0; t < nthreads; t++)
        pthread_join(th[t], NULL);
    return (double)bytes * base->rounds * nthreads / (now() - t0) / 1e6;
}

int main(int argc, char **argv)
{
    struct strbuf text = STRBUF_INIT;
    struct kerr e;
    char chunk[65536];
    size_t n, ntexts = 0, *off;
    FILE *f;

    if (argc < 3) {
        fprintf(stderr, "usage: seg_bench DICT TEXTS [ROUNDS]\n");
        return 2;
    }
    if (!(f = fopen(argv[2], "rb")))
        return perror(argv[2]), 1;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        strbuf_add(&text, chunk, n);
    fclose(f);
    off = malloc(sizeof(*off) * (text.len + 2));
    off[0] = 0;
    for (size_t i = 0; i < text.len; i++)
        if (text.buf[i] == '\n')
            off[++ntexts] = i + 1;

    long rss0 = rss_kb("VmRSS:");
    double t0 = now();
    struct segdict *d = segdict_open(argv[1], &e);
    double load_ms = (now() - t0) * 1e3;
    if (!d)
        return fprintf(stderr, "%s\n", e.message), 1;

    struct job j = {d,       text.buf, off, ntexts, argc > 3 ? (int)strtol(argv[3], NULL, 10) : 3,
                    SEG_HMM, 0};
    measure(&j, 1, text.len); /* warm-up: fault the dictionary pages in */
    double hmm1 = measure(&j, 1, text.len);
    double hmm2 = measure(&j, 2, text.len);
    j.flags = 0;
    double nohmm1 = measure(&j, 1, text.len);
    printf(
        "{\"texts\":%zu,\"bytes\":%zu,\"load_ms\":%.2f,\"hmm_mbs\":%.1f,\"hmm_mbs_2threads\":%.1f,"
        "\"nohmm_mbs\":%.1f,\"rss_before_kb\":%ld,\"rss_kb\":%ld}\n",
        ntexts, text.len, load_ms, hmm1, hmm2, nohmm1, rss0, rss_kb("VmHWM:"));
    segdict_close(d);
    free(off);
    strbuf_release(&text);
    return 0;
}
