/* test_index_concurrency.c — eight query threads on one read-only handle
 * while another process adds documents (and grows the map). Every answer
 * is checked against brute force over the docs visible in the same read
 * transaction. Then the same with the writer on the readers' own handle. */
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "idx_docs.h"
#include "idx_search.h"
#include "sh_error.h"
#include "test_index_util.h"

#define THREADS 8
#define BITS 32
#define START_DOCS 100
#define WRITER_DOCS 3000

typedef struct {
    idx_index *ix;
    unsigned seed;
    atomic_int *stop;
    atomic_int *started; /* threads past their first query or finished */
    int iterations;
    uint64_t first_count, last_count;
    char failure[320]; /* empty when every answer matched */
} worker;

static void *query_worker(void *arg)
{
    worker *w = arg;
    idx_reader *rd = NULL;
    idx_hit *hits = NULL;
    size_t hits_cap = 0;
    char err[256];
    sh_rng rng;
    rng_seed(&rng, w->seed);
    int after_stop = 0;
    if (idx_reader_begin(w->ix, &rd, err, sizeof err) != 0) {
        snprintf(w->failure, sizeof w->failure, "reader: %s", err);
        atomic_fetch_add(w->started, 1);
        return NULL;
    }
    while (after_stop < 20) {
        if (atomic_load(w->stop))
            after_stop++;
        if (idx_reader_renew(rd, err, sizeof err) != 0) {
            snprintf(w->failure, sizeof w->failure, "renew: %s", err);
            break;
        }
        uint64_t count = idx_reader_doc_count(rd);
        if (w->iterations == 0)
            w->first_count = count;
        w->last_count = count;
        if (hits_cap < count + 1) {
            hits_cap = 2 * (count + 1);
            hits = realloc(hits, hits_cap * sizeof *hits);
        }
        sh_code q = tix_random_code(&rng, BITS);
        int r = 1 + (int)rng_below(&rng, 4);
        idx_mode mode = (idx_mode)rng_below(&rng, 4);
        size_t total;
        int rc = idx_search(rd, &q, r, mode, hits, hits_cap, &total, NULL);
        uint64_t *expect;
        size_t n = tix_brute(rd, &q, r, &expect);
        if (rc != 0 || total != n) {
            snprintf(w->failure, sizeof w->failure, "mode %d r %d: rc %d, %zu hits, brute %zu",
                     mode, r, rc, total, n);
        } else {
            for (size_t i = 0; i < n; i++)
                if (hits[i].id != (uint32_t)expect[i] ||
                    hits[i].distance != (uint32_t)(expect[i] >> 32))
                    snprintf(w->failure, sizeof w->failure, "mode %d r %d: hit %zu differs",
                             mode, r, i);
        }
        free(expect);
        if (w->iterations++ == 0)
            atomic_fetch_add(w->started, 1);
        if (w->failure[0])
            break;
    }
    if (w->iterations == 0)
        atomic_fetch_add(w->started, 1);
    idx_reader_end(rd);
    free(hits);
    return NULL;
}

/* Waits for the parent's go (one byte on go_fd), then adds documents. */
static void writer_process(const char *dir, int go_fd)
{
    char go;
    if (read(go_fd, &go, 1) != 1)
        _exit(6);
    idx_options o = tix_options(IDX_NOSYNC, 0);
    o.batch_size = 25;
    idx_index *ix;
    if (idx_open(dir, &o, &ix, NULL, 0) != 0)
        _exit(2);
    sh_rng rng;
    rng_seed(&rng, 99);
    char name[32];
    for (unsigned i = 0; i < WRITER_DOCS; i++) {
        idx_doc d;
        tix_doc(&d, name, START_DOCS + i, tix_random_code(&rng, BITS), START_DOCS + i, NULL, 0);
        if (idx_add(ix, &d, NULL, NULL, 0) != 0)
            _exit(3);
        if (idx_batch_pending(ix) == 0)
            usleep(1000);
    }
    if (idx_commit(ix, NULL, 0) != 0)
        _exit(4);
    idx_close(ix);
    _exit(0);
}

START_TEST(readers_see_a_concurrent_writer_consistently)
{
    char *dir = tix_tmpdir();
    idx_index *ix = tix_open(dir, IDX_CREATE | IDX_NOSYNC, BITS, 2, 64 << 10);
    sh_rng rng;
    rng_seed(&rng, 7);
    sh_code codes[START_DOCS];
    for (unsigned i = 0; i < START_DOCS; i++)
        codes[i] = tix_random_code(&rng, BITS);
    tix_add_codes(ix, 0, codes, START_DOCS);
    idx_close(ix);

    int go[2];
    ck_assert_int_eq(pipe(go), 0);
    pid_t pid = fork(); /* before any environment is open in this process */
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        close(go[1]);
        writer_process(dir, go[0]);
    }
    close(go[0]);

    ix = tix_open(dir, IDX_RDONLY, BITS, 0, 0);
    size_t first_map = ix->map_size;
    atomic_int stop = 0, started = 0;
    worker w[THREADS];
    pthread_t th[THREADS];
    for (int t = 0; t < THREADS; t++) {
        memset(&w[t], 0, sizeof w[t]);
        w[t].ix = ix;
        w[t].seed = 1000u + (unsigned)t;
        w[t].stop = &stop;
        w[t].started = &started;
        ck_assert_int_eq(pthread_create(&th[t], NULL, query_worker, &w[t]), 0);
    }
    /* Release the writer once every thread has answered on the first
     * snapshot (or given up: a thread that fails early counts too). */
    while (atomic_load(&started) < THREADS)
        usleep(1000);
    ck_assert_int_eq(write(go[1], "g", 1), 1);
    close(go[1]);
    int status;
    pid_t done = waitpid(pid, &status, 0);
    atomic_store(&stop, 1);
    for (int t = 0; t < THREADS; t++)
        pthread_join(th[t], NULL);
    ck_assert_int_eq(done, pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "writer status %d", status);
    int grew = 0;
    for (int t = 0; t < THREADS; t++) {
        ck_assert_msg(w[t].failure[0] == 0, "thread %d: %s", t, w[t].failure);
        ck_assert_int_ge(w[t].iterations, 20);
        ck_assert_uint_eq(w[t].first_count, START_DOCS);
        ck_assert_uint_eq(w[t].last_count, START_DOCS + WRITER_DOCS);
        grew |= w[t].first_count < w[t].last_count;
    }
    ck_assert_msg(grew, "no reader saw the writer's documents arrive");
    ck_assert_uint_gt(ix->map_size, first_map); /* adopted the grown map */
    idx_close(ix);
    tix_rmtree(dir);
}
END_TEST

/* The same handle writes (from this thread) while its own readers query
 * from four threads: map growth must wait for their transactions. */
START_TEST(growth_on_a_shared_handle_waits_for_its_readers)
{
    char *dir = tix_tmpdir();
    idx_options o = tix_options(IDX_CREATE | IDX_NOSYNC, BITS);
    o.map_size = 32 << 10;
    o.batch_size = 50;
    idx_index *ix = tix_open_with(dir, &o);
    size_t first_map = ix->map_size;
    sh_rng rng;
    rng_seed(&rng, 8);
    sh_code codes[START_DOCS];
    for (unsigned i = 0; i < START_DOCS; i++)
        codes[i] = tix_random_code(&rng, BITS);
    tix_add_codes(ix, 0, codes, START_DOCS);

    enum { READERS = 4, ADDS = 2000 };
    atomic_int stop = 0, started = 0;
    worker w[READERS];
    pthread_t th[READERS];
    for (int t = 0; t < READERS; t++) {
        memset(&w[t], 0, sizeof w[t]);
        w[t].ix = ix;
        w[t].seed = 2000u + (unsigned)t;
        w[t].stop = &stop;
        w[t].started = &started;
        ck_assert_int_eq(pthread_create(&th[t], NULL, query_worker, &w[t]), 0);
    }
    while (atomic_load(&started) < READERS)
        usleep(1000);
    char name[32], err[256] = "";
    int rc = 0;
    for (unsigned i = 0; i < ADDS && rc == 0; i++) {
        idx_doc d;
        tix_doc(&d, name, START_DOCS + i, tix_random_code(&rng, BITS), START_DOCS + i, NULL, 0);
        rc = idx_add(ix, &d, NULL, err, sizeof err);
    }
    if (rc == 0)
        rc = idx_commit(ix, err, sizeof err);
    atomic_store(&stop, 1);
    for (int t = 0; t < READERS; t++)
        pthread_join(th[t], NULL);
    ck_assert_msg(rc == 0, "writing beside readers: %s", err);
    ck_assert_uint_gt(ix->map_size, 4 * first_map);
    for (int t = 0; t < READERS; t++) {
        ck_assert_msg(w[t].failure[0] == 0, "thread %d: %s", t, w[t].failure);
        ck_assert_uint_eq(w[t].last_count, START_DOCS + ADDS);
    }
    idx_close(ix);
    tix_rmtree(dir);
}
END_TEST

Suite *index_concurrency_suite(void)
{
    Suite *s = suite_create("index_concurrency");
    TCase *core = tcase_create("core");
    tcase_set_timeout(core, 120);
    tcase_add_test(core, readers_see_a_concurrent_writer_consistently);
    tcase_add_test(core, growth_on_a_shared_handle_waits_for_its_readers);
    suite_add_tcase(s, core);
    return s;
}
