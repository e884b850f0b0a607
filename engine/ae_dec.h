/* ae_dec.h — the clustering blade: Deep Embedded Clustering (Xie,
 * Girshick and Farhadi 2016) on the nn core.
 *
 * 1. pretrain an autoencoder (the caller, with nn_train);
 * 2. k-means in the code space (kmeans.h) gives the initial centroids;
 * 3. soft assignments by a Student-t kernel
 *      q_ij = (1 + |z_i - mu_j|^2 / alpha)^(-(alpha+1)/2), rows normalised;
 * 4. a sharpened target p_ij = (q_ij^2 / f_j) normalised per row, with
 *    f_j = sum_i q_ij over all rows, refreshed every update_interval
 *    batches;
 * 5. minimise KL(P || Q) over encoder weights and centroids: its gradient
 *    with respect to the code enters the core through nn_backward's
 *    dcode_extra hook; the centroids get their own Adam moments;
 * 6. stop when fewer than tol (0.1%) of the hard assignments change
 *    between two target refreshes, or after max_epochs.
 * With recon = 1 the reconstruction loss is kept beside the clustering
 * loss (the "improved DEC" of Guo et al. 2017); with recon = 0 the
 * decoder gets no gradient (plain DEC).
 * With unit_codes = 1 (the default) steps 2-6 see each code scaled to one
 * common length L, L z / |z| (L = the root-mean-square length of the
 * pretrained codes, kept in the model): k-means and the Student-t kernel
 * then compare directions only, and the gradient reaches the encoder
 * through the normalisation.
 *
 * Legend: N = rows, B = batch rows, K = code units, C = clusters.
 */
#ifndef SH_AE_DEC_H
#define SH_AE_DEC_H

#include <stddef.h>
#include <stdint.h>

#include "ae_common.h"

/* q[B,C] = Student-t soft assignments of codes z[B,K] to centroids
 * mu[C,K] with alpha > 0 degrees of freedom. Cannot fail. */
void dec_soft_assign(float *q, const float *z, const float *mu, size_t B, size_t K, size_t C,
                     float alpha);

/* p[N,C] = target distribution of q[N,C]: q^2 / f (f = column sums of q),
 * rows normalised. Returns 0 or SH_ENOMEM (p unspecified). */
int dec_target(float *p, const float *q, size_t N, size_t C);

/* weight / B * sum_ij p_ij log(p_ij / q_ij) for codes z[B,K], centroids
 * mu[C,K], target rows p[B,C] and q = dec_soft_assign(z, mu). Adds the
 * gradients with respect to z into dz[B,K] and to mu into dmu[C,K] (each
 * may be NULL). q[B,C] is scratch filled by this call. Returns the value. */
double dec_kl_loss(float *dz, float *dmu, float *q, const float *p, const float *z,
                   const float *mu, size_t B, size_t K, size_t C, float alpha, float weight);

/* dec_kl_loss on the codes scaled to length len > 0, len z / |z| (a
 * zero row stays zero and gets no gradient), with the gradient with
 * respect to the raw z[B,K] added into dz (may be NULL):
 * (len / |z|) (g - u (u . g)) for the gradient g at the scaled code and
 * u = z / |z|; dmu as dec_kl_loss. zs[B,K], gs[B,K] and zlen[B] are
 * scratch: the scaled codes, g and |z|. Returns the value. */
double dec_kl_loss_scaled(float *dz, float *dmu, float *q, float *zs, float *gs, float *zlen,
                          const float *p, const float *z, const float *mu, size_t B, size_t K,
                          size_t C, float alpha, float weight, float len);

/* Scales each row of z[N,K] to length len in place (a zero row stays
 * zero); lengths[N] (may be NULL) receives the lengths before. Cannot
 * fail. */
void dec_scale_rows(float *z, float *lengths, size_t N, size_t K, float len);

/* Hard assignment: argmax of each row of q[N,C] into assign[N]. */
void dec_hard_assign(int *assign, const float *q, size_t N, size_t C);

/* Called after every target refresh with the epoch, the fraction of
 * assignments that changed, and the last batch's clustering loss. Nonzero
 * stops (SH_ECANCEL). */
typedef int (*dec_progress_fn)(int epoch, double changed, double loss, void *user);

typedef struct {
    size_t clusters;       /* C >= 1 */
    float alpha;           /* Student-t degrees of freedom (1) */
    float gamma;           /* clustering loss weight per row, relative to the per-element
                              reconstruction error when recon = 1 (0.1) */
    int recon;             /* 1: keep the reconstruction loss (IDEC) */
    size_t batch_size;     /* rows per step (256) */
    float lr;              /* Adam learning rate (1e-4: on Fashion-MNIST 1e-3 drifts, NMI
                              0.586 after 8 epochs falling to 0.575 after 20; 1e-4 climbs to
                              0.604) */
    int max_epochs;        /* cap on passes over the data (10: on Fashion-MNIST ACC and NMI
                              are flat from epoch 6 to 10) */
    int update_interval;   /* batches between target refreshes (30) */
    double tol;            /* stop when fewer than this share of assignments change (0.001) */
    int kmeans_restarts;   /* (10: on Fashion-MNIST more restarts or other seeds give the same
                              inertia and ACC to 0.0003) */
    int unit_codes;        /* 1: cluster the codes scaled to one length (see above) (1: on
                              Fashion-MNIST k-means on the raw pretrained codes reaches ACC
                              0.498 NMI 0.536 and DEC from there 0.542 / 0.598; on the scaled
                              codes k-means reaches 0.579 / 0.612 and DEC 0.584 / 0.632.
                              Standardising each code unit instead gives k-means 0.532 / 0.534;
                              k-means on unit codes with DEC continuing on the raw codes
                              0.570 / 0.634) */
    uint64_t seed;
    dec_progress_fn progress;
    void *user;
} ae_dec_opts;

void ae_dec_defaults(ae_dec_opts *o);

typedef struct {
    int refreshes;         /* target refreshes done */
    double epochs;         /* passes over the data, fractional */
    double changed;        /* share of assignments changed at the last refresh */
    int converged;         /* 1 if it stopped by tol */
    double seconds;
    double kmeans_inertia; /* of the initial k-means in code space */
    float code_len;        /* L of unit_codes, 0 without: the model's code_len */
} ae_dec_summary;

/* Runs steps 2-6 on a pretrained net (real code) and the rows of data
 * (dense). mu[C,K] receives the centroids (in the scaled code space with
 * unit_codes; s->code_len says which, for prediction and saving), assign[N] the final hard
 * assignments, init_assign[N] (may be NULL) the k-means assignments in
 * the pretrained code space. Returns 0, SH_EINVAL (options, shapes, a
 * non-real code), SH_ENOMEM or SH_ECANCEL, with a message in err. */
int ae_dec_fit(nn_net *net, const nn_data *data, const ae_dec_opts *o, float *mu, int *assign,
               int *init_assign, ae_dec_summary *s, char *err, size_t err_len);

/* Assigns each row of data to the cluster of largest soft assignment
 * under centroids mu[C,K] (the model's prediction), the codes scaled to
 * code_len first when code_len > 0 (ae_dec_summary.code_len). Returns 0,
 * SH_EINVAL or SH_ENOMEM. */
int ae_dec_predict(nn_net *net, const nn_data *data, const float *mu, size_t C, float alpha,
                   float code_len, int *assign);

/* The same, with the soft assignments q into soft[N,C] (may be NULL). */
int ae_dec_predict_soft(nn_net *net, const nn_data *data, const float *mu, size_t C, float alpha,
                        float code_len, int *assign, float *soft);

/* 'D','E','C','1': C u32, K u32, alpha f32, mu C*K f32 (raw codes; read
 * only). 'D','E','C','2' adds code_len f32 after alpha. Readers before
 * DEC2 find no centroid section in a new model and say so (SH_EMODEL)
 * rather than cluster unscaled codes. */
#define AE_TAG_CENTROIDS MF_TAG('D', 'E', 'C', '1')
#define AE_TAG_CENTROIDS2 MF_TAG('D', 'E', 'C', '2')

/* Saves net with the centroids (section DEC2) as a model of kind
 * MF_KIND_DEC. */
int ae_dec_save(const nn_net *net, const float *mu, size_t C, float alpha, float code_len,
                const ae_meta *meta, const char *path, char *err, size_t err_len);

/* The network and centroids of a clustering model already opened with
 * ae_model_open: *mu is malloc'd (free()), *C, *alpha and *code_len (0
 * for a DEC1 model) filled. Fails as nn_load_sections, or SH_EMODEL for a
 * missing/damaged centroid section (the model's label in err). Nothing is
 * returned on failure. */
int ae_dec_read(const mf_model *m, nn_net **net, float **mu, size_t *C, float *alpha,
                float *code_len, char *err, size_t err_len);

/* Loads it back: *mu is malloc'd (free()), *C, *alpha and *code_len
 * filled. Fails as ae_load_net, or SH_EMODEL for a missing/damaged
 * centroid section. */
int ae_dec_load(const char *path, ae_meta *meta, nn_net **net, float **mu, size_t *C,
                float *alpha, float *code_len, char *err, size_t err_len);

#endif
