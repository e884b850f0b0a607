/* ae_anomaly.h — the anomaly-detection blade: an autoencoder trained on
 * normal rows only; a row's score is its reconstruction error
 * (ae_row_errors); the threshold is learned from the normal training
 * scores, as a percentile or for a target false-positive rate; a row is
 * flagged when its score exceeds the threshold.
 *
 * A saved detector is a model of kind MF_KIND_ANOMALY: the blade section,
 * the network (slot '0') and section 'A','N','T','1' holding the threshold
 * (f32), the rule (u32: 0 percentile, 1 false-positive rate) and its value
 * (f64).
 */
#ifndef SH_AE_ANOMALY_H
#define SH_AE_ANOMALY_H

#include <stddef.h>
#include <stdint.h>

#include "ae_common.h"

#define AE_TAG_THRESHOLD MF_TAG('A', 'N', 'T', '1')

typedef enum {
    AE_THRESH_PERCENTILE = 0, /* value: q in [0, 100] of the normal scores */
    AE_THRESH_FPR = 1         /* value: target false-positive rate in [0, 1] */
} ae_thresh_rule;

typedef struct {
    ae_thresh_rule rule;
    double value;
    float threshold;
} ae_threshold;

/* Learns t->threshold from n normal scores by t->rule and t->value.
 * Returns 0 or SH_EINVAL (n == 0, value out of range, a non-finite score). */
int ae_anomaly_fit_threshold(ae_threshold *t, const float *normal_scores, size_t n);

typedef struct {
    size_t n_normal, n_anomalous;
    double auroc;             /* of the scores against the truth */
    double precision, recall; /* of "score > threshold" */
    double fpr;               /* normal rows flagged / normal rows */
} ae_anomaly_report;

/* Figures of scores[n] against is_anomaly[n] at threshold. Returns 0 or
 * SH_EINVAL (a class absent, so AUROC is undefined). */
int ae_anomaly_evaluate(const float *scores, const int *is_anomaly, size_t n, float threshold,
                        ae_anomaly_report *r);

/* Saves net and t as an anomaly detector (see above). Returns 0,
 * SH_ENOMEM or an errno value, with the path in err. */
int ae_anomaly_save(const nn_net *net, const ae_threshold *t, const ae_meta *meta,
                    const char *path, char *err, size_t err_len);

/* The network and threshold of an anomaly model already opened with
 * ae_model_open. Fails as nn_load_sections, or SH_EMODEL for a missing or
 * damaged threshold section (the model's label in err). *net is
 * unchanged on failure. */
int ae_anomaly_read(const mf_model *m, nn_net **net, ae_threshold *t, char *err,
                    size_t err_len);

/* Loads a detector written by ae_anomaly_save (meta->blade must be
 * AE_BLADE_ANOMALY). Fails as ae_load_net, or SH_EMODEL for a missing or
 * damaged threshold section. *net is unchanged on failure. */
int ae_anomaly_load(const char *path, ae_meta *meta, nn_net **net, ae_threshold *t, char *err,
                    size_t err_len);

#endif
