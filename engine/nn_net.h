/* nn_net.h — the autoencoder network: configuration, parameter arenas,
 * forward / loss / backward orchestration, encode and decode.
 *
 * Legend: B = batch rows (<= max_batch), D = input width (dense D or
 * vocabulary V), H = hidden width, K = code units, L = dense layers.
 *
 * A network is a stack of dense layers:
 *   encoder hidden layers (enc_act) -> code layer -> decoder hidden
 *   layers (dec_act) -> output layer (width D, the loss's activation).
 * The code layer is a dense layer whose pre-activation feeds a code kind
 * (nn_code.h): real (code_act), binary, or Gaussian (pre-activation width
 * 2K: mu then logvar). Weights are W[in,out] so the first layer can take
 * a CSR input as a sparse x dense product (never densified).
 *
 * Memory: ALL parameters live in one arena `params` carved into W[l], b[l];
 * gradients in `grads` (same layout, views dW[l], db[l]), Adam moments in
 * `adam_m`, `adam_v`. Zeroing gradients is one memset, the optimiser is
 * one loop, saving is a header plus one write. Activations and their
 * gradients live in two more arenas sized for max_batch rows.
 *
 * One training step:
 *   nn_zero_grad(net);
 *   nn_forward(net, &input, NN_MODE_TRAIN, rng);
 *   nn_loss(net, &target, &parts);          // d(logits), code regularisers
 *   nn_backward(net, &input, dcode_extra);  // accumulates into grads
 *   optim step over the arena (nn_optim.h)
 * nn_forward keeps the batch's activations in the net until the next
 * forward; nn_loss and nn_backward use them, so they must follow the
 * forward of the same batch.
 *
 * Weight decay is a loss term: nn_loss adds its value (over weight
 * matrices, not biases) and nn_backward adds lambda * W to dW.
 *
 * Threads: a net is not thread-safe (it holds the activations): give
 * each thread its own nn_clone (inference-only clones are a quarter of
 * the memory). BLAS threads are set process-wide with mat_set_threads.
 */
#ifndef SH_NN_NET_H
#define SH_NN_NET_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "matrix.h"
#include "nn_code.h"
#include "rng.h"

#define NN_MAX_HIDDEN 8
#define NN_MAX_LAYERS (2 * NN_MAX_HIDDEN + 2)
#define NN_MAX_BATCH 65536 /* as train.batch_size */

typedef enum {
    NN_INPUT_DENSE = 0,
    NN_INPUT_CSR = 1
} nn_input_kind;

typedef enum {
    NN_LOSS_MSE = 0,     /* linear output, squared error, dense target */
    NN_LOSS_BCE = 1,     /* sigmoid output, binary cross-entropy, dense target in [0,1] */
    NN_LOSS_SOFTMAX = 2  /* softmax output, multinomial NLL, CSR count target */
} nn_loss_kind;

typedef struct {
    uint32_t input_dim;                  /* D: input width = output width, >= 1 */
    nn_input_kind input_kind;            /* dense rows or CSR rows */
    uint32_t n_enc;                      /* encoder hidden layers, 0..NN_MAX_HIDDEN */
    uint32_t enc_hidden[NN_MAX_HIDDEN];  /* their widths, >= 1 */
    sh_activation enc_act;               /* encoder activation */
    nn_code_kind code_kind;              /* real, binary or Gaussian */
    uint32_t code_dim;                   /* K >= 1 */
    sh_activation code_act;              /* real codes only (identity by default) */
    uint32_t dec_mirror;                 /* 1: decoder = encoder widths reversed, enc_act */
    uint32_t n_dec;                      /* used when dec_mirror == 0 */
    uint32_t dec_hidden[NN_MAX_HIDDEN];
    sh_activation dec_act;
    nn_loss_kind loss;
    float weight_decay;   /* lambda of 0.5 lambda |W|^2, >= 0 */
    float sparsity_rho;   /* target mean activation in (0,1) */
    float sparsity_beta;  /* weight of the KL sparsity term (0 = off); needs a
                             sigmoid real code or a binary code (on p) */
    float bernoulli_kl;   /* weight of KL(p || Bernoulli(0.5)), binary codes only */
    float vae_kl;         /* weight of KL(N(mu,var) || N(0,I)), Gaussian codes only */
    uint32_t max_batch;   /* rows the activation arenas hold, 1..NN_MAX_BATCH */
} nn_config;

/* The value parts of the last nn_loss. */
typedef struct {
    double recon;        /* reconstruction loss, per example */
    double code_reg;     /* sparsity + Bernoulli KL + Gaussian KL */
    double weight_decay; /* 0.5 lambda |W|^2 */
    double total;        /* their sum: the objective being minimised */
} nn_loss_parts;

/* Rows of data: exactly one of dense (rows x cols floats, row-major) and
 * csr (rows and cols as in the matrix) is non-NULL. Borrowed, never owned. */
typedef struct {
    size_t rows;
    size_t cols;
    const float *dense;
    const sh_csr *csr;
} nn_data;

/* Where the time of forward / loss / backward / optimiser steps went,
 * summed since the net was created (for benchmarks; zeroed by nn_new and
 * nn_clone). dense = the layers fed by a dense input (BLAS products, bias,
 * in forward and backward); sparse = the first layer's sparse x dense
 * products; loss = nn_loss (output softmax or sigmoid, loss, gradient,
 * code regularisers); optim = nn_optim_step. Activations, code sampling
 * and the rest are in none of them. */
typedef struct {
    double dense_seconds, dense_flops;
    double sparse_seconds, sparse_flops;
    double loss_seconds;
    double optim_seconds;
} nn_timing;

typedef struct {
    nn_config cfg;
    size_t n_layers;                  /* L */
    size_t code_layer;                /* index of the layer producing the code pre-activation */
    size_t in_dim[NN_MAX_LAYERS];     /* layer l maps in_dim[l] -> out_dim[l] */
    size_t out_dim[NN_MAX_LAYERS];

    size_t n_params;                  /* floats in each of the four arenas */
    float *params;                    /* the parameter arena, owned */
    float *grads;                     /* same layout, owned; NULL if inference-only */
    float *adam_m, *adam_v;           /* same layout, owned; NULL if inference-only */
    float *W[NN_MAX_LAYERS];          /* [in_dim, out_dim] views into params */
    float *b[NN_MAX_LAYERS];          /* [out_dim] */
    float *dW[NN_MAX_LAYERS];         /* views into grads */
    float *db[NN_MAX_LAYERS];
    uint64_t adam_t;                  /* optimiser steps taken */

    size_t max_batch;
    size_t batch;                     /* rows of the last forward */
    float *acts, *dacts;              /* activation arenas, owned */
    float *xa_arena;                  /* owned: the xa views below */
    float *xa[NN_MAX_LAYERS];         /* [B, in_dim[l] + 1] input of dense layer l with a
                                         column of ones (the bias as a weight row);
                                         NULL for a CSR first layer */
    float *pre[NN_MAX_LAYERS];        /* [B, out_dim[l]] pre-activations (last: logits) */
    float *post[NN_MAX_LAYERS];       /* [B, out_dim[l]] activations; code layer: unused;
                                         last: the output (filled by nn_output) */
    float *code;                      /* [B, K] code values fed to the decoder */
    float *code_p;                    /* [B, K] binary: bit probabilities */
    float *eps;                       /* [B, K] Gaussian: the noise of the last sample */
    float *dpre[NN_MAX_LAYERS];       /* gradients of the above (dacts NULL and these
                                         unset if inference-only); a hidden layer's
                                         dpre IS its dpost (made dL/dpre in place) */
    float *dpost[NN_MAX_LAYERS];
    float *dcode;                     /* [B, K] */

    double flops;                     /* forward + backward flops counted so far */
    nn_timing timing;                 /* the same work by phase, with its time */
} nn_net;

/* Fills cfg with defaults: dense input of width input_dim, no hidden
 * layers, real identity code of width code_dim, mirrored decoder, relu
 * hidden activations, MSE, no regularisers (vae_kl = 1, rho = 0.05 for
 * when they are switched on), max_batch 256. Cannot fail. */
void nn_config_defaults(nn_config *cfg, uint32_t input_dim, uint32_t code_dim);

/* The semantic-hashing network of a semhash configuration: CSR input of
 * width vocab, encoder hidden layers model.hidden[0..n_hidden) with
 * model.activation, a binary code of model.code_bits bits, mirrored
 * decoder, softmax output over the vocabulary, weight decay
 * train.weight_decay, max_batch train.batch_size. Other fields as
 * nn_config_defaults. Cannot fail (nn_new checks the result). */
void nn_config_for_hashing(nn_config *cfg, const sh_config *conf, uint32_t vocab);

/* Checks every field. Returns 0 or SH_EINVAL with the first bad field
 * named in err. */
int nn_config_check(const nn_config *cfg, char *err, size_t err_len);

/* Parameters a network of cfg has (cfg must pass nn_config_check).
 * Allocates nothing; cannot fail. */
size_t nn_config_param_count(const nn_config *cfg);

/* Builds a network for cfg with weights drawn from rng (Glorot uniform;
 * biases zero) and zero Adam state. Returns 0 and *out (free with
 * nn_free), SH_EINVAL (bad config, message in err) or SH_ENOMEM; on
 * failure *out is unchanged. rng may be NULL for all-zero weights (a
 * loader fills them). */
int nn_new(const nn_config *cfg, sh_rng *rng, nn_net **out, char *err, size_t err_len);

/* As nn_new with all-zero weights and no gradient or Adam arenas (an
 * inference-only net, see nn_clone), for loaders that fill the weights. */
int nn_new_inference(const nn_config *cfg, nn_net **out, char *err, size_t err_len);

/* A copy of src with its own arenas and activation buffers for max_batch
 * rows (0 = src's). inference_only (or an inference-only src) leaves out
 * the gradient, Adam and activation-gradient arenas (a quarter of the
 * parameter memory): such a net forwards, encodes, decodes and evaluates;
 * nn_backward and optimiser steps do nothing on it and nn_train refuses
 * it. Otherwise the Adam state is copied too. Clones serve one thread
 * each. Returns 0 and *out, SH_EINVAL (max_batch too big) or SH_ENOMEM. */
int nn_clone(const nn_net *src, uint32_t max_batch, int inference_only, nn_net **out);

/* Frees the network. Accepts NULL. */
void nn_free(nn_net *net);

/* Zeroes the gradient arena (one memset, split over the BLAS threads for
 * large arenas; nothing for inference-only). */
void nn_zero_grad(nn_net *net);

/* Runs the whole network on in (rows <= max_batch, width input_dim, the
 * configured input kind) and keeps every activation; the logits are in
 * pre[L-1]. rng is used only by stochastic code layers in NN_MODE_TRAIN
 * (and required there). Returns 0 or SH_EINVAL (wrong kind, width, too
 * many rows, or no rng for a stochastic training forward; nothing
 * computed). */
int nn_forward(nn_net *net, const nn_data *in, nn_mode mode, sh_rng *rng);

/* Loss of the last forward against target (same rows; dense D-wide for
 * MSE/BCE, CSR for softmax). Zeroes the activation gradients, then fills
 * d(logits) and the code regularisers' gradients for nn_backward. Returns
 * 0 with *parts filled (may be NULL), or SH_EINVAL (target of the wrong
 * kind or shape). */
int nn_loss(nn_net *net, const nn_data *target, nn_loss_parts *parts);

/* Back-propagates the last nn_loss into the gradient arena (accumulates)
 * and adds weight decay to dW (nothing for an inference-only net). dcode_extra[B,K] (may be NULL) is an extra
 * gradient on the code, added to what flows back from the decoder: the hook
 * for clustering, neighbour or bit-balance terms. in must be the input of
 * the last forward. Cannot fail. */
void nn_backward(nn_net *net, const nn_data *in, const float *dcode_extra);

/* Computes the output activation of the last forward (identity, sigmoid
 * or softmax of the logits) into post[L-1] and returns it ([B, D]). */
const float *nn_output(nn_net *net);

/* Runs only the encoder on in (rows <= max_batch) and copies the codes to
 * code[B,K] (may be NULL; they stay in net->code, probabilities of binary
 * codes in net->code_p). Returns 0 or SH_EINVAL as nn_forward. */
int nn_encode(nn_net *net, const nn_data *in, nn_mode mode, sh_rng *rng, float *code);

/* Encodes every row of data (any count) at inference into codes[N,K].
 * Returns 0, SH_EINVAL or SH_ENOMEM. */
int nn_encode_all(nn_net *net, const nn_data *data, float *codes);

/* Runs only the decoder from code[B,K] (B <= max_batch) and writes the
 * output activation into out[B,D]. Returns 0 or SH_EINVAL (B too big). */
int nn_decode(nn_net *net, const float *code, size_t B, float *out);

/* Mean per-example loss parts over all rows of in against target (NULL =
 * in), at inference (binary codes thresholded, Gaussian z = mu), in
 * chunks of max_batch. Weight decay is included in parts->weight_decay but
 * parts->total is recon + code_reg only. Returns 0, SH_EINVAL, SH_ENOMEM. */
int nn_evaluate(nn_net *net, const nn_data *in, const nn_data *target, nn_loss_parts *parts);

/* Gathers rows idx[0..n) of src into out: dense rows are copied into
 * dense_buf (n x cols floats, caller-owned), CSR rows into csr_buf
 * (initialised by the caller). Returns 0, SH_EINVAL (index out of range)
 * or SH_ENOMEM. */
int nn_data_gather(nn_data *out, const nn_data *src, const uint32_t *idx, size_t n,
                   float *dense_buf, sh_csr *csr_buf);

/* Flops of one forward + backward over the batch of the last forward (the
 * same figure nn_forward and nn_backward add to net->flops). */
double nn_step_flops(const nn_net *net, const nn_data *in);

#endif
