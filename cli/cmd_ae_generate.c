/* cmd_ae_generate.c — `semhash ae generate`: a variational autoencoder
 * (Gaussian latent, Bernoulli decoder), its held-out ELBO, a PNG grid of
 * samples from the prior and a PNG of latent interpolations. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ae_vae.h"
#include "cli.h"
#include "cmd_ae.h"
#include "png_write.h"
#include "sh_error.h"

static const char generate_usage[] =
    "A variational autoencoder: Gaussian latent (reparameterised, KL to N(0, I)),\n"
    "Bernoulli decoder (binary cross-entropy on grey levels). Reports the held-out\n"
    "ELBO in nats per row. Defaults: --hidden 512,256 --latent 20 --epochs 10.\n"
    "  --latent K            latent units (same as --code)\n"
    "  --elbo-samples S      latent draws per test row for the ELBO (1)\n"
    "  --samples FILE.png    8 x 8 grid of decoded prior samples\n"
    "  --interp FILE.png     latent interpolations between test images (4 rows of 10)\n";

/* --interp: rows of 10 steps between test images 2i and 2i+1. */
static int write_interp(const ae_args *a, const ae_data *d, nn_net *net)
{
    char err[AE_ERR_LEN] = "";
    size_t D = d->test.x.cols, steps = 10, pairs = d->test.x.rows / 2 < 4 ? d->test.x.rows / 2 : 4;
    if (pairs == 0)
        return cli_error("ae generate: --interp needs two test rows");
    float *out = malloc(pairs * steps * D * sizeof(float));
    if (out == NULL)
        return cli_error("ae generate: out of memory");
    int rc = 0;
    for (size_t i = 0; i < pairs && rc == 0; i++)
        rc = ae_vae_interpolate(net, d->test.x.data + 2 * i * D, d->test.x.data + (2 * i + 1) * D,
                                steps, out + i * steps * D);
    if (rc != 0)
        rc = cli_error("ae generate: interpolation failed: %s", sh_strerror(rc));
    else if ((rc = png_write_grid(a->png2, out, pairs * steps, d->height, d->width, pairs, steps,
                                  err, sizeof(err))) != 0)
        rc = cli_error("%s", err);
    free(out);
    return rc;
}

int cmd_ae_generate(int argc, char **argv)
{
    ae_args a;
    ae_data d;
    nn_net *net = NULL;
    float *samples = NULL;
    json_t *obj = NULL;
    char err[AE_ERR_LEN] = "";
    int rc = ae_parse(&a, argc, argv, "generate", generate_usage);
    if (rc != 0)
        return rc < 0 ? CLI_EXIT_OK : rc;
    if (a.elbo_samples < 1)
        return cli_error("ae generate: --elbo-samples must be >= 1");
    if ((rc = ae_load_data(&a, &d, 0, "ae generate")) != 0)
        return rc;
    size_t bad = ae_first_row_outside_unit(d.train.x.data, d.train.x.rows, d.train.x.cols);
    if (bad < d.train.x.rows) {
        rc = cli_error("%s: values must be in [0, 1] for the Bernoulli decoder (row %zu)",
                       d.train_name, bad + 1);
        goto done;
    }
    if ((a.png1 || a.png2) && d.height == 0) {
        rc = cli_error("ae generate: --samples and --interp need image data (IDX)");
        goto done;
    }
    obj = json_object();
    json_object_set_new(obj, "task", json_string("generate"));
    if ((rc = ae_get_net(&a, &d, AE_BLADE_GENERATE, NN_LOSS_BCE, NULL, 1, obj, &net)) != 0)
        goto done;
    double elbo = 0;
    nn_data te = ae_view(&d.test);
    if ((rc = ae_vae_elbo(net, &te, a.elbo_samples, a.recipe.fit.seed + 11, &elbo)) != 0) {
        rc = cli_error("ae generate: the model is not a VAE over this data (%s)",
                       sh_strerror(rc));
        goto done;
    }
    json_object_set_new(obj, "latent", json_integer(net->cfg.code_dim));
    json_object_set_new(obj, "test_rows", json_integer((json_int_t)d.test.x.rows));
    ae_json_real(obj, "test_elbo_nats", elbo);
    if (a.png1 != NULL) {
        size_t D = d.test.x.cols;
        samples = malloc(64 * D * sizeof(float));
        if (samples == NULL ||
            (rc = ae_vae_sample(net, 64, a.recipe.fit.seed + 13, samples)) != 0) {
            rc = cli_error("ae generate: sampling failed");
            goto done;
        }
        if ((rc = png_write_grid(a.png1, samples, 64, d.height, d.width, 8, 8, err,
                                 sizeof(err))) != 0) {
            rc = cli_error("%s", err);
            goto done;
        }
        json_object_set_new(obj, "samples", json_string(a.png1));
    }
    if (a.png2 != NULL) {
        if ((rc = write_interp(&a, &d, net)) != 0)
            goto done;
        json_object_set_new(obj, "interp", json_string(a.png2));
    }
    if (a.json) {
        ae_print_json(obj);
        obj = NULL;
    } else {
        printf("held-out ELBO %.2f nats per row (%zu test rows, %d sample%s each, latent %u)\n",
               elbo, d.test.x.rows, a.elbo_samples, a.elbo_samples == 1 ? "" : "s",
               net->cfg.code_dim);
    }
    rc = 0;
done:
    json_decref(obj);
    free(samples);
    nn_free(net);
    ae_data_free(&d);
    return rc;
}
