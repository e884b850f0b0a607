/* ae_common.h — what the autoencoder toolkit's blades share: loading a
 * labelled data set from an IDX pair or a CSV/TSV file, per-row
 * reconstruction errors and reconstructions of a trained network, input
 * corruption (Gaussian, masking, salt-and-pepper) for denoising training,
 * and the model-file framing that records which blade wrote a model.
 *
 * Every blade (ae_reduce.h, ae_denoise.h, ae_anomaly.h, ae_vae.h,
 * ae_dec.h, ae_classify.h; text corpora through ae_text.h) is a
 * CONFIGURATION of the nn core (nn_net.h, nn_train.h): it sets the code
 * kind, loss, regulariser, corruption or head, and adds only what the core
 * does not do. How each blade is trained is in ae_train.h, shared by the
 * `semhash ae <task>` commands (cli/cmd_ae*.c) and the library
 * (semhash_ae.h). Nothing here prints.
 *
 * What it does not do: dense evaluation helpers (ae_reconstruct,
 * ae_row_errors) take dense rows only; text rows are scored by
 * ae_row_nll (ae_text.h).
 *
 * Legend: N = rows, D = input width, K = code units.
 * Errors: 0 or an sh_error.h code, with one line in err (may be NULL)
 * naming the file or the problem.
 */
#ifndef SH_AE_COMMON_H
#define SH_AE_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "dataset.h"
#include "modelfile.h"
#include "nn_net.h"
#include "pca.h"
#include "rng.h"

/* ---- loading ----------------------------------------------------------- */

/* 1 if path names a CSV/TSV file (extension .csv, .tsv, .tab or .txt, with
 * an optional .gz), 0 for anything else (read as IDX). Cannot fail. */
int ae_path_is_delimited(const char *path);

/* Loads a data set into *out: an IDX image file (with labels_path an IDX
 * label file, or NULL) or, by extension (ae_path_is_delimited), a CSV/TSV
 * matrix read with csv (NULL = defaults; labels_path must be NULL then).
 * height/width (may be NULL) receive the image shape for IDX, and 0 for
 * CSV. Fails as data_idx_load / data_csv_read (wrong magic: SH_EFORMAT;
 * ragged rows: SH_EINPUT; ...), with the file named in err; SH_EINVAL when
 * labels_path is given for a CSV file. *out is zeroed on failure. */
int ae_load(const char *path, const char *labels_path, const data_csv_opts *csv, sh_dataset *out,
            size_t *height, size_t *width, char *err, size_t err_len);

/* Returns 0 if every row of d has a label, else SH_EINPUT with
 * "PATH: no labels; BLADE needs one per row (...)" in err. */
int ae_require_labels(const sh_dataset *d, const char *path, const char *blade, char *err,
                      size_t err_len);

/* Returns 0 if d has width D, else SH_EINPUT naming path and both widths. */
int ae_require_width(const sh_dataset *d, size_t D, const char *path, char *err,
                     size_t err_len);

/* The rows of d as an nn_data view (borrowed). */
nn_data ae_view(const sh_dataset *d);

/* ---- using a trained network ------------------------------------------- */

/* Reconstructs every row of in (inference mode: binary codes thresholded,
 * Gaussian z = mu) into out[N,D] (output activation: identity for MSE,
 * sigmoid for BCE). Returns 0, SH_EINVAL (shapes) or SH_ENOMEM. */
int ae_reconstruct(nn_net *net, const nn_data *in, float *out);

/* errors[N] = mean squared error per element between each row of in and
 * its reconstruction (the anomaly score and the classifier's feature).
 * Returns 0, SH_EINVAL or SH_ENOMEM. */
int ae_row_errors(nn_net *net, const nn_data *in, float *errors);

/* errors[N] = mean squared error per element of reconstructing each row
 * of X[N,D] through the PCA p (the linear baseline of the same score).
 * Returns 0 or SH_ENOMEM. */
int ae_pca_row_errors(const sh_pca *p, const float *X, size_t N, float *errors);

/* ---- corruption -------------------------------------------------------- */

typedef enum {
    AE_NOISE_NONE = 0,
    AE_NOISE_GAUSSIAN = 1,    /* x + level * N(0, 1) */
    AE_NOISE_MASK = 2,        /* each value set to 0 with probability level */
    AE_NOISE_SALT_PEPPER = 3  /* each value set to 0 or 1 (even odds) with probability level */
} ae_noise_kind;

typedef struct {
    ae_noise_kind kind;
    float level;  /* sigma (Gaussian) or probability in [0, 1] */
    int clip;     /* 1: clip results to [0, 1] (grey images) */
} ae_noise;

/* Parses "gaussian", "mask" or "saltpepper" (also "salt-pepper", "sp").
 * Returns 0 or SH_EINVAL. */
int ae_noise_parse(const char *name, ae_noise_kind *kind);

/* The default level of a corruption: sigma 0.5 for Gaussian noise, a
 * share of 0.3 for the others. Cannot fail. */
float ae_noise_default_level(ae_noise_kind kind);

/* The name ae_noise_parse reads. Static string; cannot fail. */
const char *ae_noise_name(ae_noise_kind kind);

/* Corrupts x[n] in place, drawing from rng (one 64-bit draw per two
 * values for mask, about 1.27 per two for Gaussian (polar method), one
 * per value and one more per hit for salt-and-pepper), then clips to
 * [0, 1] if noise->clip. Cannot fail. */
void ae_corrupt(float *x, size_t n, const ae_noise *noise, sh_rng *rng);

/* An nn_corrupt_fn (nn_train.h) applying the ae_noise passed as user to
 * dense batches; CSR batches get word dropout (mask) only: entries are
 * dropped with probability level. Returns 0, SH_EINVAL (CSR with another
 * kind) or SH_ENOMEM. */
int ae_corrupt_batch(float *dense, sh_csr *csr, size_t rows, size_t cols, sh_rng *rng,
                     void *user);

/* ---- model files -------------------------------------------------------- */

/* Which blade wrote a model (recorded in section 'A','E','M','1'). */
typedef enum {
    AE_BLADE_REDUCE = 1,
    AE_BLADE_DENOISE = 2,
    AE_BLADE_ANOMALY = 3,
    AE_BLADE_GENERATE = 4,
    AE_BLADE_CLUSTER = 5,
    AE_BLADE_CLASSIFY = 6
} ae_blade;

#define AE_TAG_META MF_TAG('A', 'E', 'M', '1')

/* The model-file header kind of each blade. */
uint32_t ae_blade_kind(ae_blade blade);

/* The blade's CLI name ("reduce", ...). Static string. */
const char *ae_blade_name(ae_blade blade);

/* The meta section: blade, image height and width (0 if not images). */
typedef struct {
    ae_blade blade;
    uint32_t height, width;
} ae_meta;

/* Starts a writer of the blade's kind holding the meta section. Returns 0
 * and *out (free with mf_writer_free) or SH_ENOMEM. */
int ae_writer_new(const ae_meta *meta, mf_writer **out);

/* Reads path and checks that it was written by meta->blade (kind and
 * meta section), or by any blade when meta->blade is 0. On success *out
 * is the model (mf_model_free) and meta's blade, height and width are
 * filled. Fails with the container's errors, or SH_EMODEL ("PATH:
 * written by `ae reduce`, not `ae anomaly`"; "PATH: not a model of the
 * autoencoder toolkit"; a blade that disagrees with the model kind). */
int ae_model_open(const char *path, ae_meta *meta, mf_model **out, char *err, size_t err_len);

/* Saves a lone network as a model of meta's blade (slot '0'). Returns 0,
 * SH_ENOMEM or mf_writer_save's codes with the path in err. */
int ae_save_net(const nn_net *net, const ae_meta *meta, const char *path, char *err,
                size_t err_len);

/* Loads the lone network of a model of meta's blade (see ae_model_open)
 * as an inference-only net (no gradient or Adam arenas: for encoding,
 * scoring and sampling, not for further training). max_batch as
 * nn_load_sections. Every blade's loader below does the same. */
int ae_load_net(const char *path, ae_meta *meta, uint32_t max_batch, nn_net **out, char *err,
                size_t err_len);

#endif
