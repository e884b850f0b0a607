/* example.c — a minimal search frontend on the installed libsemhash.
 *
 *   cc example.c $(pkg-config --cflags --libs semhash) -lpthread -o example
 *   ./example INDEX_DIR "query text" ["another query" ...]
 *
 * Opens the index read-only once and answers every query text in its
 * own thread at the same time (one handle serves many threads), printing
 * the 5 nearest documents of each: "QUERY_NO DISTANCE NAME". Only
 * semhash.h is used. Exit status 0, or 1 on any error. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <semhash.h>

#define MAX_QUERIES 16
#define TOP 5

typedef struct {
    sh_index *ix;
    const char *text;
    sh_hit hits[TOP];
    size_t n;
    int rc;
    char err[256];
} job;

static void *run(void *arg)
{
    job *j = arg;
    sh_query_options q;
    memset(&q, 0, sizeof q);
    q.k = TOP;
    j->rc = sh_query_text(j->ix, j->text, strlen(j->text), &q, j->hits, TOP, &j->n, NULL,
                          j->err, sizeof j->err);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 3 || argc - 2 > MAX_QUERIES) {
        fprintf(stderr, "usage: %s INDEX_DIR TEXT... (at most %d texts)\n", argv[0], MAX_QUERIES);
        return 1;
    }
    fprintf(stderr, "libsemhash %s\n", sh_version());
    sh_open_options o;
    memset(&o, 0, sizeof o);
    o.flags = SH_OPEN_RDONLY;
    sh_index *ix;
    char err[256];
    int rc = sh_index_open(argv[1], &o, &ix, err, sizeof err);
    if (rc != 0) {
        fprintf(stderr, "%s (%s)\n", err, sh_strerror(rc));
        return 1;
    }
    int n = argc - 2, status = 0;
    job jobs[MAX_QUERIES];
    pthread_t threads[MAX_QUERIES];
    for (int i = 0; i < n; i++) {
        memset(&jobs[i], 0, sizeof jobs[i]);
        jobs[i].ix = ix;
        jobs[i].text = argv[i + 2];
        pthread_create(&threads[i], NULL, run, &jobs[i]);
    }
    static char buf[SH_DOC_BUF];
    for (int i = 0; i < n; i++) {
        pthread_join(threads[i], NULL);
        if (jobs[i].rc != 0) {
            fprintf(stderr, "query %d: %s\n", i + 1, jobs[i].err);
            status = 1;
            continue;
        }
        for (size_t h = 0; h < jobs[i].n; h++) {
            sh_doc_info doc;
            if (sh_doc_get(ix, jobs[i].hits[h].id, &doc, buf, sizeof buf, err, sizeof err) == 0)
                printf("%d %u %s\n", i + 1, (unsigned)jobs[i].hits[h].distance, doc.name);
        }
    }
    sh_index_close(ix);
    return status;
}
