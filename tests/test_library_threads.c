/* test_library_threads.c — one read-only handle, 8 query threads, and a
 * writer process adding documents meanwhile; every answer is checked
 * against brute force.
 *
 * The writer adds documents 0..N-1 in order (doc ids 1..N) and commits
 * every few documents, so what a reader can see is always a prefix of
 * them. Around each query a thread probes how far the visible prefix
 * reaches (before: lo, after: hi): the answer must hold every document
 * of the first lo within the radius, nothing beyond the first hi, and
 * exact distances. Codes are computed independently by sh_encode. */
#include <check.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rng.h"
#include "semhash.h"
#include "test_index_util.h"
#include "test_library_util.h"

#define N_TOTAL 1200
#define N_FIRST 100
#define THREADS 8
#define BITS 32

static uint8_t codes[N_TOTAL][SH_CODE_BYTES];

typedef struct {
    sh_index *ix;
    int seed;
    volatile int *writer_done;
    int queries;
    int during;             /* queries that ran while documents were missing */
    char failure[512];
} worker;

/* Largest n such that docs 1..n are visible, starting from known. */
static unsigned visible(sh_index *ix, unsigned known)
{
    static __thread char buf[SH_DOC_BUF];
    sh_doc_info d;
    while (known < N_TOTAL && sh_doc_get(ix, known + 1, &d, buf, sizeof buf, NULL, 0) == 0)
        known++;
    return known;
}

static void *query_loop(void *arg)
{
    worker *w = arg;
    sh_rng rng;
    rng_seed(&rng, (uint64_t)w->seed);
    sh_hit *hits = malloc(N_TOTAL * sizeof *hits);
    unsigned lo_known = 0;
    char err[256];
    int after_done = 0;
    while (after_done < 20) {
        if (*w->writer_done)
            after_done++;
        unsigned lo = visible(w->ix, lo_known);
        lo_known = lo;
        unsigned q = (unsigned)rng_below(&rng, N_TOTAL);
        int radius = (int)rng_below(&rng, 7);
        int mode = (int)rng_below(&rng, 4);
        if (mode == SH_MODE_BALL && radius > 4)
            radius = 4;
        sh_query_options o = { .radius = radius, .mode = mode };
        size_t n;
        int rc = sh_query_code(w->ix, codes[q], &o, hits, N_TOTAL, &n, NULL, err, sizeof err);
        unsigned hi = visible(w->ix, lo);
        if (rc != 0) {
            snprintf(w->failure, sizeof w->failure, "query failed: %s", err);
            break;
        }
        unsigned char *seen = calloc(N_TOTAL + 1, 1);
        for (size_t i = 0; i < n && !w->failure[0]; i++) {
            uint32_t id = hits[i].id;
            if (id < 1 || id > hi)
                snprintf(w->failure, sizeof w->failure, "hit id %u beyond visible %u", id, hi);
            else if ((int)hits[i].distance != tlib_hamming(codes[q], codes[id - 1], BITS) ||
                     (int)hits[i].distance > radius)
                snprintf(w->failure, sizeof w->failure, "hit %u: wrong distance %u", id,
                         hits[i].distance);
            else
                seen[id] = 1;
        }
        for (unsigned id = 1; id <= lo && !w->failure[0]; id++)
            if (!seen[id] && tlib_hamming(codes[q], codes[id - 1], BITS) <= radius)
                snprintf(w->failure, sizeof w->failure,
                         "doc %u (distance %d, radius %d, mode %d) missing; visible %u..%u", id,
                         tlib_hamming(codes[q], codes[id - 1], BITS), radius, mode, lo, hi);
        free(seen);
        if (w->failure[0])
            break;
        w->queries++;
        w->during += hi < N_TOTAL;
    }
    free(hits);
    return NULL;
}

START_TEST(queries_during_writes_match_brute_force)
{
    char *dir = tix_tmpdir();
    char *model = tlib_model(dir, "model.shm", BITS, SH_ENCODER_SIMHASH);
    char path[4096], err[256];
    snprintf(path, sizeof path, "%s/idx", dir);
    sh_index *ix = tlib_create(path, model, 50);
    for (unsigned i = 0; i < N_FIRST; i++)
        tlib_add(ix, i);
    ck_assert_int_eq(sh_sync(ix, err, sizeof err), 0);
    for (unsigned i = 0; i < N_TOTAL; i++) {
        char *text = tlib_doc_text(i);
        ck_assert_int_eq(sh_encode(ix, text, strlen(text), codes[i], NULL, err, sizeof err), 0);
        free(text);
    }
    sh_index_close(ix);

    pid_t pid = fork();
    ck_assert(pid >= 0);
    if (pid == 0) {
        /* the writer: its own handle, opened after the fork */
        sh_open_options wo = { .batch_size = 7, .flags = SH_OPEN_NOSYNC, .encoders = 1 };
        if (sh_index_open(path, &wo, &ix, err, sizeof err) != 0)
            _exit(3);
        for (unsigned i = N_FIRST; i < N_TOTAL; i++) {
            char name[32], *text = tlib_doc_text(i);
            tlib_doc_name(i, name);
            sh_doc d = { name, 0, text, strlen(text), NULL, 0 };
            int rc = sh_add(ix, &d, NULL, err, sizeof err);
            free(text);
            if (rc != 0)
                _exit(4);
            if (i % 13 == 0 && sh_sync(ix, err, sizeof err) != 0)
                _exit(5);
            if (i == N_FIRST + 20) /* let the readers start */
                usleep(20000);
            else if (i % 50 == 0)
                usleep(2000);
        }
        if (sh_sync(ix, err, sizeof err) != 0)
            _exit(6);
        sh_index_close(ix);
        _exit(0);
    }
    sh_open_options ro = { .flags = SH_OPEN_RDONLY };
    ck_assert_int_eq(sh_index_open(path, &ro, &ix, err, sizeof err), 0);
    volatile int writer_done = 0;
    worker w[THREADS];
    pthread_t th[THREADS];
    for (int t = 0; t < THREADS; t++) {
        w[t] = (worker){ ix, 100 + t, &writer_done, 0, 0, "" };
        ck_assert_int_eq(pthread_create(&th[t], NULL, query_loop, &w[t]), 0);
    }
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    writer_done = 1;
    for (int t = 0; t < THREADS; t++)
        pthread_join(th[t], NULL);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "writer failed (status %d)",
                  status);
    int during = 0;
    for (int t = 0; t < THREADS; t++) {
        ck_assert_msg(w[t].failure[0] == '\0', "thread %d: %s", t, w[t].failure);
        ck_assert_int_ge(w[t].queries, 20);
        during += w[t].during;
    }
    ck_assert_msg(during > 0, "no query ran while the writer was adding documents");
    /* everything arrived */
    ck_assert_uint_eq(visible(ix, 0), N_TOTAL);
    sh_index_close(ix);
    free(model);
    tix_rmtree(dir);
}
END_TEST

Suite *library_threads_suite(void)
{
    Suite *s = suite_create("library_threads");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, queries_during_writes_match_brute_force);
    suite_add_tcase(s, tc);
    return s;
}
