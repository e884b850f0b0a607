/* ae_denoise.h — the denoising blade: an autoencoder trained on corrupted
 * inputs against the clean rows (nn_train with ae_corrupt_batch as its
 * corruption callback), evaluated by the PSNR of noisy versus denoised
 * held-out rows. The corruption kinds live in ae_common.h.
 */
#ifndef SH_AE_DENOISE_H
#define SH_AE_DENOISE_H

#include <stddef.h>
#include <stdint.h>

#include "ae_common.h"

typedef struct {
    size_t rows;
    double mse_noisy, mse_denoised;    /* per element, against the clean rows */
    double psnr_noisy, psnr_denoised;  /* dB, peak 1 */
} ae_denoise_report;

/* Corrupts every row of clean (dense) with noise drawn from seed, runs the
 * network on the noisy rows and compares both with the clean ones.
 * noisy and denoised (each [N,D], caller-owned) receive the rows; both
 * may be NULL (then scratch is allocated). Returns 0, SH_EINVAL (shapes,
 * or no rows) or SH_ENOMEM. */
int ae_denoise_eval(nn_net *net, const nn_data *clean, const ae_noise *noise, uint64_t seed,
                    float *noisy, float *denoised, ae_denoise_report *report);

#endif
