/* ae_example.c — the autoencoder toolkit from the installed libsemhash:
 * trains an anomaly detector on normal rows, saves it, reopens the file
 * and flags new rows.
 *
 *   cc ae_example.c $(pkg-config --cflags --libs semhash) -lm -o ae_example
 *   ./ae_example MODEL_PATH
 *
 * Normal rows lie near a line in 8 dimensions; the test rows are 20
 * normal ones and 5 far off the line. Prints "threshold T" and one line
 * per test row, "ROW SCORE FLAG" (FLAG 1 = anomalous). The model file
 * also works with `semhash ae anomaly --score ROWS.csv -m MODEL_PATH`.
 * Only semhash_ae.h is used. Exit status 0, or 1 on any error. */
#include <math.h>
#include <stdio.h>

#include <semhash_ae.h>

#define D 8
#define N_TRAIN 400
#define N_TEST 25

/* Row i: t * direction + a little noise; anomalies are off the line. */
static void make_row(float *row, unsigned i, int anomalous)
{
    float t = (float)((i * 37u) % 101u) / 50.0f - 1.0f;
    for (unsigned j = 0; j < D; j++) {
        float noise = 0.01f * (float)((int)((i * 7u + j * 13u) % 11u) - 5);
        row[j] = t * (float)(j + 1) / D + noise;
        if (anomalous)
            row[j] = (j % 2 ? 1.5f : -1.5f) + noise;
    }
}

int main(int argc, char **argv)
{
    static float train[N_TRAIN * D], test[N_TEST * D], scores[N_TEST];
    static int flags[N_TEST];
    char err[256];
    if (argc != 2) {
        fprintf(stderr, "usage: %s MODEL_PATH\n", argv[0]);
        return 1;
    }
    for (unsigned i = 0; i < N_TRAIN; i++)
        make_row(train + i * D, i, 0);
    for (unsigned i = 0; i < N_TEST; i++)
        make_row(test + i * D, 1000 + i, i >= 20);

    sh_ae_train_options o;
    sh_ae_train_defaults(SH_AE_ANOMALY, &o);
    o.hidden[0] = 16;
    o.code = 1;
    o.activation = SH_AE_TANH;
    o.epochs = 60;
    o.batch = 32;
    o.lr = 3e-3f;
    o.threshold_rule = SH_AE_THRESHOLD_PERCENTILE;
    o.threshold_value = 99;
    sh_ae *m;
    if (sh_ae_train(&o, train, N_TRAIN, D, NULL, &m, err, sizeof err) != 0 ||
        sh_ae_save(m, argv[1], err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    sh_ae_close(m);

    if (sh_ae_open(argv[1], &m, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    sh_ae_info info;
    sh_ae_get_info(m, &info);
    int rc = sh_ae_score(m, test, N_TEST, D, scores, flags, err, sizeof err);
    if (rc != 0) {
        fprintf(stderr, "%s (%s)\n", err, sh_strerror(rc));
        sh_ae_close(m);
        return 1;
    }
    printf("threshold %g (%s, %zu inputs)\n", info.threshold, sh_ae_blade_name(info.blade),
           info.input_dim);
    for (int i = 0; i < N_TEST; i++)
        printf("%d %.6f %d\n", i, scores[i], flags[i]);
    /* a classifier's operation on a detector is refused, not a crash */
    int pred[N_TEST];
    if (sh_ae_classify(m, test, N_TEST, D, pred, NULL, err, sizeof err) != SH_EMODEL) {
        fprintf(stderr, "classify on a detector was not refused\n");
        sh_ae_close(m);
        return 1;
    }
    fprintf(stderr, "%s\n", err);
    sh_ae_close(m);
    return isfinite(scores[0]) ? 0 : 1;
}
