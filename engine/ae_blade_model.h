/* ae_blade_model.h — a trained model of any blade of the autoencoder
 * toolkit, as one value: its blade and image shape, its network (one per
 * class for the classifier), and what the blade adds (the anomaly
 * threshold, the DEC centroids, the stacked softmax). Loading reads any
 * toolkit model file and dispatches on its blade section; saving writes
 * through the blade's own writer (ae_save_net, ae_anomaly_save,
 * ae_dec_save, ae_classify_save), so the files are those `semhash ae
 * <task> -o MODEL` writes and `-m MODEL` reads.
 *
 * What it does not do: train (ae_train.h) or check data against the model
 * (the library, semhash_ae.h, does that). Text (CSR) models are not
 * saved by the toolkit and are not handled here.
 */
#ifndef SH_AE_BLADE_MODEL_H
#define SH_AE_BLADE_MODEL_H

#include <stddef.h>

#include "ae_anomaly.h"
#include "ae_classify.h"
#include "ae_common.h"

typedef struct {
    ae_meta meta;          /* blade, image height and width (0 if not images) */
    nn_net **nets;         /* [n_nets], owned: one network, or one per class */
    size_t n_nets;
    ae_threshold threshold; /* anomaly only */
    float *centroids;      /* cluster only: [clusters, K], owned */
    size_t clusters;
    float alpha;           /* cluster only: Student-t degrees of freedom */
    float code_len;        /* cluster only: codes scaled to this length, 0 = raw (ae_dec.h) */
    ae_softmax head;       /* classify only: the stacked softmax, owned */
} ae_blade_model;

/* Reads the toolkit model at path, whatever its blade, into *out. Returns
 * 0 (free with ae_blade_model_free), or the container's errors
 * (SH_EFORMAT, SH_EVERSION, SH_ETRUNC, SH_ECHECKSUM, errno) and SH_EMODEL
 * (not a toolkit model, a damaged section), with "PATH: ..." in err; *out
 * is zeroed on failure. */
int ae_blade_model_load(const char *path, ae_blade_model *out, char *err, size_t err_len);

/* Writes m to path atomically in its blade's format. Returns 0, SH_EINVAL
 * (an incomplete model), SH_ENOMEM or an errno value, with the path in
 * err. */
int ae_blade_model_save(const ae_blade_model *m, const char *path, char *err, size_t err_len);

/* Frees everything m owns and zeroes it. Accepts NULL and a zeroed
 * model. */
void ae_blade_model_free(ae_blade_model *m);

#endif
