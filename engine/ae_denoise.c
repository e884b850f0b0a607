/* ae_denoise.c — evaluation of the denoising blade (see ae_denoise.h). */
#include "ae_denoise.h"

#include <stdlib.h>
#include <string.h>

#include "evalstats.h"
#include "sh_error.h"

int ae_denoise_eval(nn_net *net, const nn_data *clean, const ae_noise *noise, uint64_t seed,
                    float *noisy, float *denoised, ae_denoise_report *report)
{
    if (clean->dense == NULL || clean->rows == 0 || clean->cols != net->cfg.input_dim)
        return SH_EINVAL;
    size_t n = clean->rows * clean->cols;
    float *own_noisy = NULL, *own_out = NULL;
    int rc = SH_ENOMEM;
    if (noisy == NULL && (noisy = own_noisy = malloc(n * sizeof(float))) == NULL)
        goto fail;
    if (denoised == NULL && (denoised = own_out = malloc(n * sizeof(float))) == NULL)
        goto fail;
    memcpy(noisy, clean->dense, n * sizeof(float));
    sh_rng rng;
    rng_seed(&rng, seed);
    ae_corrupt(noisy, n, noise, &rng);
    nn_data in = { clean->rows, clean->cols, noisy, NULL };
    if ((rc = ae_reconstruct(net, &in, denoised)) != 0)
        goto fail;
    report->rows = clean->rows;
    if ((rc = eval_mse(noisy, clean->dense, n, &report->mse_noisy)) != 0 ||
        (rc = eval_mse(denoised, clean->dense, n, &report->mse_denoised)) != 0 ||
        (rc = eval_psnr(noisy, clean->dense, n, &report->psnr_noisy)) != 0 ||
        (rc = eval_psnr(denoised, clean->dense, n, &report->psnr_denoised)) != 0)
        goto fail;
fail:
    free(own_noisy);
    free(own_out);
    return rc;
}
