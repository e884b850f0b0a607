/* test_evalstats.c — every figure on small hand-computed cases, plus
 * AUROC and k-NN against straightforward independent computations on
 * random data. */
#include <check.h>
#include <math.h>
#include <stdlib.h>

#include "evalstats.h"
#include "rng.h"
#include "sh_error.h"

START_TEST(cluster_accuracy_cases)
{
    int truth[6] = { 0, 0, 1, 1, 2, 2 };
    int permuted[6] = { 2, 2, 0, 0, 1, 1 };
    int one_wrong[6] = { 2, 2, 0, 1, 1, 1 };
    double acc = -1;
    ck_assert_int_eq(eval_cluster_accuracy(truth, permuted, 6, &acc), 0);
    ck_assert_double_eq(acc, 1.0);
    ck_assert_int_eq(eval_cluster_accuracy(truth, one_wrong, 6, &acc), 0);
    ck_assert_double_eq_tol(acc, 5.0 / 6.0, 1e-12);
    /* Four clusters for two classes: only two clusters can map. */
    int t2[4] = { 0, 0, 0, 1 }, p2[4] = { 0, 1, 2, 3 };
    ck_assert_int_eq(eval_cluster_accuracy(t2, p2, 4, &acc), 0);
    ck_assert_double_eq(acc, 0.5);
    /* Sparse label values and unknown truths (-1) skipped. */
    int t3[5] = { 70, -1, 70, 5, 5 }, p3[5] = { 1000, 3, 1000, 0, 0 };
    ck_assert_int_eq(eval_cluster_accuracy(t3, p3, 5, &acc), 0);
    ck_assert_double_eq(acc, 1.0);
    int bad[2] = { 0, -2 };
    acc = 0.25;
    ck_assert_int_eq(eval_cluster_accuracy(truth, bad, 2, &acc), SH_EINVAL);
    ck_assert_double_eq(acc, 0.25);
    int unknown[2] = { -1, -1 };
    ck_assert_int_eq(eval_cluster_accuracy(unknown, p2, 2, &acc), SH_EINVAL);
}
END_TEST

START_TEST(nmi_cases)
{
    double nmi = -1;
    int a[6] = { 0, 0, 0, 1, 1, 1 };
    int a_renamed[6] = { 4, 4, 4, 9, 9, 9 };
    ck_assert_int_eq(eval_nmi(a, a_renamed, 6, &nmi), 0);
    ck_assert_double_eq_tol(nmi, 1.0, 1e-12);
    /* Independent: every cell of the 2x2 table holds 1. */
    int t[4] = { 0, 0, 1, 1 }, p[4] = { 0, 1, 0, 1 };
    ck_assert_int_eq(eval_nmi(t, p, 4, &nmi), 0);
    ck_assert_double_eq_tol(nmi, 0.0, 1e-12);
    /* Table [[2,1,0],[0,1,2]]: H(T) = ln 2, H(P) = ln 3,
     * I = 2 * (2/6) ln(2*6 / (3*2)) = (2/3) ln 2 (the cells with 1 add 0). */
    int b[6] = { 0, 0, 1, 1, 2, 2 };
    ck_assert_int_eq(eval_nmi(a, b, 6, &nmi), 0);
    ck_assert_double_eq_tol(nmi, (2.0 / 3.0) * log(2.0) / ((log(2.0) + log(3.0)) / 2.0), 1e-12);
    /* Both labelings a single group: identical partitions. */
    int one[3] = { 1, 1, 1 }, other[3] = { 7, 7, 7 };
    ck_assert_int_eq(eval_nmi(one, other, 3, &nmi), 0);
    ck_assert_double_eq(nmi, 1.0);
    /* One single group against a split: no information. */
    int split[3] = { 0, 1, 1 };
    ck_assert_int_eq(eval_nmi(one, split, 3, &nmi), 0);
    ck_assert_double_eq_tol(nmi, 0.0, 1e-12);
}
END_TEST

START_TEST(auroc_with_ties_by_hand)
{
    /* Positives 0.35, 0.8, 0.4 against negatives 0.1, 0.4:
     * 0.35 wins 1, 0.8 wins 2, 0.4 wins 1 and ties 1 (0.5) -> 4.5 / 6. */
    float s[5] = { 0.1f, 0.4f, 0.35f, 0.8f, 0.4f };
    int y[5] = { 0, 0, 1, 1, 1 };
    double auc = -1;
    ck_assert_int_eq(eval_auroc(s, y, 5, &auc), 0);
    ck_assert_double_eq_tol(auc, 0.75, 1e-12);
    /* All scores equal: 0.5. Perfect and reversed rankings: 1 and 0. */
    float flat[4] = { 2, 2, 2, 2 };
    int y4[4] = { 1, 0, 1, 0 };
    ck_assert_int_eq(eval_auroc(flat, y4, 4, &auc), 0);
    ck_assert_double_eq(auc, 0.5);
    float ranked[4] = { 9, 1, 8, 2 };
    ck_assert_int_eq(eval_auroc(ranked, y4, 4, &auc), 0);
    ck_assert_double_eq(auc, 1.0);
    int rev[4] = { 0, 1, 0, 1 };
    ck_assert_int_eq(eval_auroc(ranked, rev, 4, &auc), 0);
    ck_assert_double_eq(auc, 0.0);
    /* Undefined: one class only, a NaN score. */
    int none[4] = { 0, 0, 0, 0 };
    auc = 0.125;
    ck_assert_int_eq(eval_auroc(ranked, none, 4, &auc), SH_EINVAL);
    float with_nan[4] = { 1, NAN, 2, 3 };
    ck_assert_int_eq(eval_auroc(with_nan, y4, 4, &auc), SH_EINVAL);
    ck_assert_double_eq(auc, 0.125);
}
END_TEST

START_TEST(auroc_matches_pair_count)
{
    sh_rng rng;
    rng_seed(&rng, 17);
    enum { N = 300 };
    float s[N];
    int y[N];
    for (int trial = 0; trial < 20; trial++) {
        for (int i = 0; i < N; i++) {
            y[i] = rng_below(&rng, 3) == 0;
            s[i] = (float)rng_below(&rng, 20) + (y[i] ? 3.0f : 0.0f); /* many ties */
        }
        double wins = 0, pairs = 0;
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++)
                if (y[i] && !y[j]) {
                    pairs++;
                    wins += s[i] > s[j] ? 1.0 : s[i] == s[j] ? 0.5 : 0.0;
                }
        double auc;
        ck_assert_int_eq(eval_auroc(s, y, N, &auc), 0);
        ck_assert_double_eq_tol(auc, wins / pairs, 1e-12);
    }
}
END_TEST

START_TEST(thresholds_and_precision_recall)
{
    float s[5] = { 0.1f, 0.5f, 0.9f, 0.3f, 0.7f };
    int y[5] = { 0, 1, 1, 0, 0 };
    double p, r;
    ck_assert_int_eq(eval_precision_recall(s, y, 5, 0.4f, &p, &r), 0);
    ck_assert_double_eq_tol(p, 2.0 / 3.0, 1e-12);
    ck_assert_double_eq(r, 1.0);
    ck_assert_int_eq(eval_precision_recall(s, y, 5, 0.5f, &p, &r), 0); /* strict: 0.5 not flagged */
    ck_assert_double_eq(p, 0.5);
    ck_assert_double_eq(r, 0.5);
    ck_assert_int_eq(eval_precision_recall(s, y, 5, 1.0f, &p, &r), 0);
    ck_assert_double_eq(p, 1.0);
    ck_assert_double_eq(r, 0.0);

    float normal[10];
    for (int i = 0; i < 10; i++)
        normal[9 - i] = (float)(i + 1); /* unsorted on purpose */
    float t;
    ck_assert_int_eq(eval_threshold_for_fpr(normal, 10, 0.2, &t), 0);
    ck_assert_float_eq(t, 8.0f);
    ck_assert_int_eq(eval_threshold_for_fpr(normal, 10, 0.0, &t), 0);
    ck_assert_float_eq(t, 10.0f);
    ck_assert_int_eq(eval_threshold_for_fpr(normal, 10, 1.0, &t), 0);
    ck_assert_float_eq(t, 1.0f);
    ck_assert_int_eq(eval_threshold_for_fpr(normal, 10, 0.25, &t), 0);
    ck_assert_float_eq(t, 8.0f); /* 2.5 allowed -> 2 */
    float tied[5] = { 2, 1, 2, 3, 2 };
    ck_assert_int_eq(eval_threshold_for_fpr(tied, 5, 0.2, &t), 0);
    ck_assert_float_eq(t, 2.0f);
    ck_assert_int_eq(eval_threshold_for_fpr(tied, 5, 0.1, &t), 0);
    ck_assert_float_eq(t, 3.0f);
    ck_assert_int_eq(eval_threshold_for_fpr(tied, 5, 1.5, &t), SH_EINVAL);

    float v[4] = { 4, 1, 3, 2 };
    ck_assert_int_eq(eval_percentile(v, 4, 50, &t), 0);
    ck_assert_float_eq(t, 2.5f);
    ck_assert_int_eq(eval_percentile(v, 4, 25, &t), 0);
    ck_assert_float_eq(t, 1.75f);
    ck_assert_int_eq(eval_percentile(v, 4, 0, &t), 0);
    ck_assert_float_eq(t, 1.0f);
    ck_assert_int_eq(eval_percentile(v, 4, 100, &t), 0);
    ck_assert_float_eq(t, 4.0f);
    ck_assert_int_eq(eval_percentile(v, 1, 95, &t), 0);
    ck_assert_float_eq(t, 4.0f);
    ck_assert_int_eq(eval_percentile(v, 4, -1, &t), SH_EINVAL);
}
END_TEST

START_TEST(classification_figures)
{
    int truth[5] = { 0, 0, 1, 1, 2 };
    int pred[5] = { 0, 1, 1, 1, 0 };
    double acc, f1;
    ck_assert_int_eq(eval_accuracy(truth, pred, 5, &acc), 0);
    ck_assert_double_eq_tol(acc, 0.6, 1e-12);
    size_t c[16];
    ck_assert_int_eq(eval_confusion(truth, pred, 5, 4, c), 0);
    size_t expect[16] = { 1, 1, 0, 0,  0, 2, 0, 0,  1, 0, 0, 0,  0, 0, 0, 0 };
    for (int i = 0; i < 16; i++)
        ck_assert_uint_eq(c[i], expect[i]);
    /* F1: class 0 = 2/(2+1+1) = 0.5, class 1 = 4/(4+1) = 0.8, class 2 = 0,
     * class 3 absent from both -> not averaged. */
    ck_assert_int_eq(eval_macro_f1(truth, pred, 5, 4, &f1), 0);
    ck_assert_double_eq_tol(f1, 1.3 / 3.0, 1e-12);
    ck_assert_int_eq(eval_macro_f1(truth, truth, 5, 3, &f1), 0);
    ck_assert_double_eq(f1, 1.0);
    ck_assert_int_eq(eval_confusion(truth, pred, 5, 2, c), SH_EINVAL);
}
END_TEST

START_TEST(knn_by_hand)
{
    /* 1-D: class 0 at 0, 1, 2 and class 1 at 10, 11, 12. */
    sh_mat train = { 6, 1, (float[]){ 0, 1, 2, 10, 11, 12 } };
    int train_labels[6] = { 0, 0, 0, 1, 1, 1 };
    /* x = 6: distances 6 5 4 4 5 6; ranked: row 2 (0), row 3 (1), row 1 (0).
     * k = 3 votes 0; k = 2 is a 1:1 tie that goes to row 2's label 0. */
    sh_mat test = { 3, 1, (float[]){ 0.5f, 11.5f, 6 } };
    int test_labels[3] = { 0, 1, 0 };
    int test_labels_1[3] = { 0, 1, 1 };
    double acc;
    ck_assert_int_eq(eval_knn_accuracy(&train, train_labels, &test, test_labels, 3, &acc), 0);
    ck_assert_double_eq(acc, 1.0);
    ck_assert_int_eq(eval_knn_accuracy(&train, train_labels, &test, test_labels, 2, &acc), 0);
    ck_assert_double_eq(acc, 1.0);
    ck_assert_int_eq(eval_knn_accuracy(&train, train_labels, &test, test_labels_1, 2, &acc), 0);
    ck_assert_double_eq_tol(acc, 2.0 / 3.0, 1e-12);
    /* k = 6 > half: majority 3:3 tie, nearest is row 2 -> 0 for x = 6. */
    ck_assert_int_eq(eval_knn_accuracy(&train, train_labels, &test, test_labels, 6, &acc), 0);
    ck_assert_double_eq_tol(acc, 1.0, 1e-12);
    sh_mat wide = { 1, 2, (float[]){ 0, 0 } };
    ck_assert_int_eq(eval_knn_accuracy(&train, train_labels, &wide, test_labels, 1, &acc), SH_EINVAL);
}
END_TEST

static int cmp_pair(const void *a, const void *b)
{
    const double *x = a, *y = b; /* (distance, index) */
    if (x[0] != y[0])
        return x[0] < y[0] ? -1 : 1;
    return x[1] < y[1] ? -1 : x[1] > y[1];
}

START_TEST(knn_matches_full_sort)
{
    sh_rng rng;
    rng_seed(&rng, 8);
    enum { NTR = 120, NTE = 40, D = 3, K = 5, C = 4 };
    sh_mat tr = { NTR, D, malloc(NTR * D * sizeof(float)) };
    sh_mat te = { NTE, D, malloc(NTE * D * sizeof(float)) };
    int ytr[NTR], yte[NTE];
    for (int i = 0; i < NTR * D; i++)
        tr.data[i] = (float)rng_below(&rng, 4); /* a coarse grid: many equal distances */
    for (int i = 0; i < NTE * D; i++)
        te.data[i] = (float)rng_below(&rng, 4);
    for (int i = 0; i < NTR; i++)
        ytr[i] = (int)rng_below(&rng, C);
    for (int i = 0; i < NTE; i++)
        yte[i] = (int)rng_below(&rng, C);
    size_t right = 0;
    double pairs[NTR][2];
    for (int q = 0; q < NTE; q++) {
        for (int r = 0; r < NTR; r++) {
            double d2 = 0;
            for (int j = 0; j < D; j++)
                d2 += pow(te.data[q * D + j] - tr.data[r * D + j], 2);
            pairs[r][0] = d2;
            pairs[r][1] = r;
        }
        qsort(pairs, NTR, sizeof(pairs[0]), cmp_pair);
        int votes[C] = { 0 }, first_rank[C];
        for (int c = 0; c < C; c++)
            first_rank[c] = K;
        for (int j = 0; j < K; j++) {
            int l = ytr[(int)pairs[j][1]];
            votes[l]++;
            if (first_rank[l] == K)
                first_rank[l] = j;
        }
        int best = 0;
        for (int c = 1; c < C; c++)
            if (votes[c] > votes[best] || (votes[c] == votes[best] && first_rank[c] < first_rank[best]))
                best = c;
        right += best == yte[q];
    }
    double acc;
    ck_assert_int_eq(eval_knn_accuracy(&tr, ytr, &te, yte, K, &acc), 0);
    ck_assert_double_eq_tol(acc, (double)right / NTE, 1e-12);
    free(tr.data);
    free(te.data);
}
END_TEST

START_TEST(mse_and_psnr)
{
    float a[4] = { 0, 0.5f, 1, 1 }, b[4] = { 0, 0.5f, 0.5f, 1 };
    double mse, psnr;
    ck_assert_int_eq(eval_mse(a, b, 4, &mse), 0);
    ck_assert_double_eq_tol(mse, 0.0625, 1e-12);
    ck_assert_int_eq(eval_psnr(a, b, 4, &psnr), 0);
    ck_assert_double_eq_tol(psnr, 10.0 * log10(16.0), 1e-9);
    ck_assert_int_eq(eval_psnr(a, a, 4, &psnr), 0);
    ck_assert(isinf(psnr) && psnr > 0);
    ck_assert_int_eq(eval_mse(a, b, 0, &mse), SH_EINVAL);
}
END_TEST

Suite *evalstats_suite(void)
{
    Suite *s = suite_create("evalstats");
    TCase *core = tcase_create("core");
    tcase_add_test(core, cluster_accuracy_cases);
    tcase_add_test(core, nmi_cases);
    tcase_add_test(core, auroc_with_ties_by_hand);
    tcase_add_test(core, auroc_matches_pair_count);
    tcase_add_test(core, thresholds_and_precision_recall);
    tcase_add_test(core, classification_figures);
    tcase_add_test(core, knn_by_hand);
    tcase_add_test(core, knn_matches_full_sort);
    tcase_add_test(core, mse_and_psnr);
    suite_add_tcase(s, core);
    return s;
}
