/* evalstats.h — evaluation figures for the autoencoder toolkit:
 * clustering (accuracy under the best label mapping, NMI), anomaly
 * detection (AUROC, precision/recall at a threshold, thresholds from
 * normal scores), classification (accuracy, macro-F1, confusion matrix,
 * k-nearest-neighbour accuracy in an embedding) and reconstruction (MSE,
 * PSNR).
 *
 * Conventions:
 *   - labels are ints; a "truth" label < 0 means unknown and such rows are
 *     skipped where stated (clustering metrics, k-NN); predictions must be
 *     >= 0.
 *   - anomaly scores: higher means more anomalous; is_anomaly[i] != 0 marks
 *     a positive (anomalous) example; a row is flagged when
 *     score > threshold (strictly).
 *   - every function writes its figure through the last pointer and
 *     returns 0, SH_EINVAL (NULL pointer, n == 0, a label out of range, a
 *     non-finite score, a figure that is undefined for the input, e.g.
 *     AUROC with only one class present), or SH_ENOMEM. On failure the
 *     output is unchanged.
 * No global state; all functions are safe to call from several threads on
 * distinct outputs.
 */
#ifndef SH_EVALSTATS_H
#define SH_EVALSTATS_H

#include <stddef.h>

#include "matrix.h"

/* ---- clustering ------------------------------------------------------- */

/* Clustering accuracy: the fraction of rows whose cluster, mapped to a
 * class by the best one-to-one mapping of cluster ids to class ids
 * (Hungarian algorithm on the contingency table), equals the true class.
 * Label values may be any non-negative ints (they are compacted first);
 * rows with truth < 0 are skipped. SH_EINVAL when a prediction is < 0 or
 * no row has a known truth. */
int eval_cluster_accuracy(const int *truth, const int *pred, size_t n, double *acc);

/* Normalised mutual information with ARITHMETIC normalisation:
 * NMI = I(T; P) / ((H(T) + H(P)) / 2), natural logs (the base cancels).
 * When both labelings put every row in one group (H(T) = H(P) = 0) the
 * result is 1.0 (they are identical partitions). Rows with truth < 0 are
 * skipped. Same failures as eval_cluster_accuracy. */
int eval_nmi(const int *truth, const int *pred, size_t n, double *nmi);

/* ---- anomaly detection -------------------------------------------------- */

/* Area under the ROC curve of scores against is_anomaly: the probability
 * that a random anomaly scores higher than a random normal row, ties
 * counting one half (Mann-Whitney U with tied scores given their average
 * rank). SH_EINVAL when either class is absent or a score is not finite. */
int eval_auroc(const float *scores, const int *is_anomaly, size_t n, double *auroc);

/* Precision and recall of the rule "anomaly when score > threshold".
 * Precision is 1.0 when nothing is flagged (no false alarms), recall is
 * 1.0 when there are no anomalies; both pointers are written. */
int eval_precision_recall(const float *scores, const int *is_anomaly, size_t n,
                          float threshold, double *precision, double *recall);

/* The smallest threshold t taken from normal_scores such that at most
 * fpr * n of the normal scores exceed t (so "score > t" keeps the false
 * positive rate on these scores <= fpr). fpr in [0, 1]; fpr = 0 gives the
 * largest score. */
int eval_threshold_for_fpr(const float *normal_scores, size_t n, double fpr, float *threshold);

/* The q-th percentile (q in [0, 100]) of values with linear interpolation
 * between order statistics (numpy's default): position q/100 * (n-1) in
 * the sorted values. */
int eval_percentile(const float *values, size_t n, double q, float *out);

/* ---- classification ----------------------------------------------------- */

/* Fraction of rows with pred[i] == truth[i]. */
int eval_accuracy(const int *truth, const int *pred, size_t n, double *acc);

/* Confusion matrix: counts[t * n_classes + p] = rows with truth t and
 * prediction p (counts has n_classes^2 entries, overwritten). SH_EINVAL
 * when a label is outside 0..n_classes-1. */
int eval_confusion(const int *truth, const int *pred, size_t n, size_t n_classes,
                   size_t *counts);

/* Macro-averaged F1: the mean over classes of 2 TP / (2 TP + FP + FN),
 * taken over the classes in 0..n_classes-1 that occur in truth or in pred
 * (a class in neither is not counted). SH_EINVAL as eval_confusion. */
int eval_macro_f1(const int *truth, const int *pred, size_t n, size_t n_classes, double *f1);

/* k-nearest-neighbour classification accuracy: each test row is given the
 * majority label of its k nearest train rows (Euclidean distance; equal
 * distances ranked by lower train index). A vote tie goes to the tied
 * label whose best-ranked neighbour is nearest. Train rows with label < 0
 * are ignored as neighbours, test rows with label < 0 are not scored.
 * train and test must have the same number of columns; k >= 1 (k larger
 * than the usable train rows uses them all). Squared distances are summed
 * in float, coordinate by coordinate. Brute force, O(N_test N_train D),
 * vectorised over train rows (60,000 x 10,000 pairs in 10-D: about 2 s);
 * it also allocates a transposed copy of train. */
int eval_knn_accuracy(const sh_mat *train, const int *train_labels,
                      const sh_mat *test, const int *test_labels, size_t k, double *acc);

/* ---- reconstruction ------------------------------------------------------ */

/* Mean squared error between a and b (n floats each), in double. */
int eval_mse(const float *a, const float *b, size_t n, double *mse);

/* Peak signal-to-noise ratio for images with values in [0, 1] (peak 1):
 * 10 log10(1 / MSE) dB; +INFINITY when a and b are identical. */
int eval_psnr(const float *a, const float *b, size_t n, double *psnr);

#endif
