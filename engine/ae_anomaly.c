/* ae_anomaly.c — thresholds, evaluation and model files of the anomaly
 * blade (see ae_anomaly.h). */
#include "ae_anomaly.h"

#include <math.h>
#include <stdlib.h>

#include "evalstats.h"
#include "nn_io.h"
#include "sh_error.h"

int ae_anomaly_fit_threshold(ae_threshold *t, const float *normal_scores, size_t n)
{
    if (n == 0)
        return SH_EINVAL;
    if (t->rule == AE_THRESH_FPR)
        return eval_threshold_for_fpr(normal_scores, n, t->value, &t->threshold);
    if (t->rule == AE_THRESH_PERCENTILE)
        return eval_percentile(normal_scores, n, t->value, &t->threshold);
    return SH_EINVAL;
}

int ae_anomaly_evaluate(const float *scores, const int *is_anomaly, size_t n, float threshold,
                        ae_anomaly_report *r)
{
    size_t pos = 0, flagged_normal = 0;
    for (size_t i = 0; i < n; i++) {
        pos += is_anomaly[i] != 0;
        flagged_normal += is_anomaly[i] == 0 && scores[i] > threshold;
    }
    int rc = eval_auroc(scores, is_anomaly, n, &r->auroc);
    if (rc == 0)
        rc = eval_precision_recall(scores, is_anomaly, n, threshold, &r->precision, &r->recall);
    if (rc != 0)
        return rc;
    r->n_anomalous = pos;
    r->n_normal = n - pos;
    r->fpr = (double)flagged_normal / (double)(n - pos);
    return 0;
}

int ae_anomaly_save(const nn_net *net, const ae_threshold *t, const ae_meta *meta,
                    const char *path, char *err, size_t err_len)
{
    mf_writer *w = NULL;
    int rc = ae_writer_new(meta, &w);
    if (rc == 0)
        rc = nn_save_sections(net, w, '0');
    if (rc == 0)
        rc = mf_writer_begin(w, AE_TAG_THRESHOLD);
    if (rc == 0)
        rc = mf_put_f32(w, t->threshold);
    if (rc == 0)
        rc = mf_put_u32(w, (uint32_t)t->rule);
    if (rc == 0)
        rc = mf_put_f64(w, t->value);
    if (rc == 0)
        rc = mf_writer_end(w);
    if (rc != 0) {
        sh_fail(err, err_len, rc, "%s: cannot build the model: %s", path, sh_strerror(rc));
        goto done;
    }
    rc = mf_writer_save(w, path, err, err_len);
done:
    mf_writer_free(w);
    return rc;
}

int ae_anomaly_read(const mf_model *m, nn_net **net, ae_threshold *t, char *err,
                    size_t err_len)
{
    nn_net *loaded = NULL;
    const void *data = NULL;
    size_t len = 0;
    int rc = nn_load_sections(m, '0', 0, 1, &loaded, err, err_len);
    if (rc != 0)
        return rc;
    mf_cursor c;
    uint32_t rule = 0;
    float thr = 0;
    double value = 0;
    rc = mf_model_section(m, AE_TAG_THRESHOLD, &data, &len);
    if (rc == 0) {
        mf_cursor_init(&c, data, len);
        rc = mf_get_f32(&c, &thr);
        if (rc == 0)
            rc = mf_get_u32(&c, &rule);
        if (rc == 0)
            rc = mf_get_f64(&c, &value);
    }
    if (rc != 0 || rule > AE_THRESH_FPR || !isfinite(thr)) {
        nn_free(loaded);
        return sh_fail(err, err_len, SH_EMODEL, "%s: missing or damaged threshold section",
                       mf_model_label(m));
    }
    t->threshold = thr;
    t->rule = (ae_thresh_rule)rule;
    t->value = value;
    *net = loaded;
    return 0;
}

int ae_anomaly_load(const char *path, ae_meta *meta, nn_net **net, ae_threshold *t, char *err,
                    size_t err_len)
{
    mf_model *m = NULL;
    int rc = ae_model_open(path, meta, &m, err, err_len);
    if (rc == 0)
        rc = ae_anomaly_read(m, net, t, err, err_len);
    mf_model_free(m);
    return rc;
}
