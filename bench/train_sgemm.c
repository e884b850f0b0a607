/* train_sgemm.c — OpenBLAS sgemm GFLOP/s on this machine, at the shapes
 * one training step of the default hashing model uses and at 1024^3 (the
 * peak), for the `train` part of `make bench`.
 *
 *   train_sgemm THREADS [SECONDS]
 *
 * Prints one JSON object per line: first the BLAS build and the kernel it
 * chose ({"blas": ..., "core": ..., "threads": ...}), then one line per
 * shape {"name", "M", "N", "K", "trans_a", "trans_b", "threads", "reps",
 * "gflops_best", "gflops_median"}. Each shape runs through mat_gemm (the
 * engine's only path to cblas_sgemm) repeatedly for about SECONDS (default
 * 0.5) after one warm-up call; 2 M N K flops per call. It does not
 * measure the sparse products (they are not BLAS).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "matrix.h"

#define MAX_REPS 4096

typedef struct {
    const char *name;
    int trans_a, trans_b;
    size_t M, N, K;
} shape;

/* B = 128, H = 500, K = 64 code bits, V = 10,000 words: the dense
 * products of one step (forward, then the backward's dX and dW). */
static const shape SHAPES[] = {
    { "peak 1024^3", 0, 0, 1024, 1024, 1024 },
    { "hidden fwd B.W[H,H]", 0, 0, 128, 500, 500 },
    { "hidden bwd dX=dY.W^T", 0, 1, 128, 500, 500 },
    { "hidden bwd dW=X^T.dY", 1, 0, 500, 500, 128 },
    { "code fwd B.W[H,K]", 0, 0, 128, 64, 500 },
    { "code bwd dX=dY.W^T", 0, 1, 128, 500, 64 },
    { "code bwd dW=X^T.dY", 1, 0, 500, 64, 128 },
    { "decoder fwd B.W[K,V]", 0, 0, 128, 10000, 64 },
    { "decoder bwd dX=dY.W^T", 0, 1, 128, 64, 10000 },
    { "decoder bwd dW=X^T.dY", 1, 0, 64, 10000, 128 },
};

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : (x > y ? 1 : 0);
}

/* Fills x[n] with a fixed pattern of small values (no denormals). */
static void fill(float *x, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (float)((i * 2654435761u + seed) % 1000) * 1e-3f - 0.5f;
}

/* Times one shape; returns 0, or 1 when out of memory. */
static int run_shape(const shape *s, int threads, double seconds)
{
    size_t a_n = s->M * s->K, b_n = s->K * s->N, c_n = s->M * s->N;
    float *A = malloc(a_n * sizeof(float)), *B = malloc(b_n * sizeof(float));
    float *C = malloc(c_n * sizeof(float));
    double *dt = malloc(MAX_REPS * sizeof(double));
    if (A == NULL || B == NULL || C == NULL || dt == NULL) {
        free(A);
        free(B);
        free(C);
        free(dt);
        return 1;
    }
    fill(A, a_n, 1);
    fill(B, b_n, 2);
    size_t lda = s->trans_a ? s->M : s->K, ldb = s->trans_b ? s->K : s->N;
    mat_gemm(s->trans_a, s->trans_b, s->M, s->N, s->K, 1.0f, A, lda, B, ldb, 0.0f, C, s->N);
    int reps = 0;
    double start = now_seconds();
    while (reps < MAX_REPS && (reps < 3 || now_seconds() - start < seconds)) {
        double t0 = now_seconds();
        mat_gemm(s->trans_a, s->trans_b, s->M, s->N, s->K, 1.0f, A, lda, B, ldb, 0.0f, C,
                 s->N);
        dt[reps++] = now_seconds() - t0;
    }
    qsort(dt, (size_t)reps, sizeof(double), cmp_double);
    double flops = 2.0 * (double)s->M * (double)s->N * (double)s->K;
    printf("{\"name\": \"%s\", \"M\": %zu, \"N\": %zu, \"K\": %zu, \"trans_a\": %d, "
           "\"trans_b\": %d, \"threads\": %d, \"reps\": %d, \"gflops_best\": %.2f, "
           "\"gflops_median\": %.2f}\n",
           s->name, s->M, s->N, s->K, s->trans_a, s->trans_b, threads, reps,
           flops / dt[0] * 1e-9, flops / dt[reps / 2] * 1e-9);
    fflush(stdout);
    free(A);
    free(B);
    free(C);
    free(dt);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: train_sgemm THREADS [SECONDS]\n");
        return 2;
    }
    int threads = atoi(argv[1]);
    double seconds = argc == 3 ? atof(argv[2]) : 0.5;
    if (threads < 1 || !(seconds > 0)) {
        fprintf(stderr, "train_sgemm: THREADS must be >= 1 and SECONDS > 0\n");
        return 2;
    }
    mat_set_threads(threads);
    printf("{\"blas\": \"%s\", \"core\": \"%s\", \"threads\": %d}\n", mat_blas_config(),
           mat_blas_core(), mat_get_threads());
    for (size_t i = 0; i < sizeof(SHAPES) / sizeof(SHAPES[0]); i++) {
        if (run_shape(&SHAPES[i], threads, seconds) != 0) {
            fprintf(stderr, "train_sgemm: out of memory for %s\n", SHAPES[i].name);
            return 1;
        }
    }
    return 0;
}
