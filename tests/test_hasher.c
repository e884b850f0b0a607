/* test_hasher.c — the document hasher and its training recipe: retrieval
 * on a tiny labelled corpus generated here, determinism, save/load, the
 * baseline encoders against baseline_hash, the neighbour search against
 * brute force, the adaptive sizes, and bad input. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "baseline_hash.h"
#include "code.h"
#include "hash_eval.h"
#include "hash_train.h"
#include "hasher.h"
#include "itq.h"
#include "metrics.h"
#include "modelfile.h"
#include "nn_io.h"
#include "rng.h"
#include "sh_error.h"

/* ---- a tiny labelled corpus -------------------------------------------- */

#define TOPICS 4
#define DOCS_PER_TOPIC 16
#define N_DOCS (TOPICS * DOCS_PER_TOPIC)
#define WORDS_PER_TOPIC 12

static const char *const topic_words[TOPICS][WORDS_PER_TOPIC] = {
    { "goal", "striker", "league", "match", "keeper", "penalty", "stadium", "referee",
      "midfield", "tackle", "season", "coach" },
    { "compiler", "pointer", "kernel", "thread", "mutex", "buffer", "register", "linker",
      "syntax", "parser", "debugger", "allocator" },
    { "flour", "oven", "butter", "dough", "recipe", "sugar", "yeast", "pastry", "knead",
      "whisk", "simmer", "garlic" },
    { "galaxy", "orbit", "telescope", "planet", "comet", "nebula", "asteroid", "quasar",
      "rocket", "gravity", "eclipse", "cosmos" },
};
static const char *const common_words[] = { "people", "today", "great", "really", "world",
                                            "time", "thing", "place" };

typedef struct {
    char *text[N_DOCS];
    hasher_doc docs[N_DOCS];
    int label[N_DOCS];
} tiny_corpus;

/* Document d: 24 words, about 80% from its topic's list, the rest common
 * words, drawn from the seeded rng. */
static void tiny_make(tiny_corpus *c, uint64_t seed)
{
    sh_rng rng;
    rng_seed(&rng, seed);
    for (int d = 0; d < N_DOCS; d++) {
        int t = d % TOPICS;
        char buf[1024];
        size_t len = 0;
        for (int w = 0; w < 24; w++) {
            const char *word = rng_uniform(&rng) < 0.8f
                                   ? topic_words[t][rng_below(&rng, WORDS_PER_TOPIC)]
                                   : common_words[rng_below(&rng, 8)];
            len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s", w ? " " : "", word);
        }
        c->text[d] = strdup(buf);
        ck_assert_ptr_nonnull(c->text[d]);
        c->docs[d] = (hasher_doc){ c->text[d], len };
        c->label[d] = t;
    }
}

static void tiny_free(tiny_corpus *c)
{
    for (int d = 0; d < N_DOCS; d++)
        free(c->text[d]);
}

/* A small configuration: tiny corpora need min_df 1 and a small net. */
static void tiny_config(sh_config *cfg, sh_encoder_kind enc, int bits)
{
    config_defaults(cfg);
    cfg->model.encoder = enc;
    cfg->model.code_bits = bits;
    cfg->model.n_hidden = 1;
    cfg->model.hidden[0] = 64;
    cfg->text.min_df = 1;
    cfg->text.max_df = 1.0;
    cfg->train.epochs = 40;
    cfg->train.batch_size = 16;
    cfg->train.learning_rate = 0.005;
    cfg->train.threads = 1;
    cfg->train.patience = 0;
    cfg->train.validation_fraction = 0.0;
}

static sh_hasher *train_tiny(const tiny_corpus *c, sh_encoder_kind enc, int bits, uint64_t seed)
{
    sh_config cfg;
    tiny_config(&cfg, enc, bits);
    cfg.train.seed = seed;
    sh_hasher *h = NULL;
    char err[256] = "";
    int rc = hasher_train_docs(&cfg, c->docs, N_DOCS, NULL, &h, NULL, err, sizeof err);
    ck_assert_msg(rc == 0, "training failed: %s", err);
    return h;
}

static void encode_all(sh_hasher *h, const tiny_corpus *c, sh_code *codes)
{
    for (int d = 0; d < N_DOCS; d++)
        ck_assert_int_eq(hasher_encode_text(h, c->docs[d].text, c->docs[d].len, &codes[d]), 0);
}

/* Mean precision@k of same-label documents, every document querying all
 * others (itself left out), Hamming rank, ties in index order. Computed
 * here directly so the assertion does not lean on the metrics module. */
static double leave_one_out_precision(const sh_code *codes, const int *label, int k)
{
    double sum = 0.0;
    for (int q = 0; q < N_DOCS; q++) {
        int used[N_DOCS] = { 0 }, hits = 0;
        used[q] = 1;
        for (int i = 0; i < k; i++) {
            int best = -1, best_d = 1 << 30;
            for (int j = 0; j < N_DOCS; j++) {
                int dist = code_hamming(&codes[q], &codes[j]);
                if (!used[j] && dist < best_d) {
                    best_d = dist;
                    best = j;
                }
            }
            used[best] = 1;
            hits += label[best] == label[q];
        }
        sum += (double)hits / k;
    }
    return sum / N_DOCS;
}

/* ---- core ------------------------------------------------------------------ */

START_TEST(ae_codes_rank_same_topic_first)
{
    tiny_corpus c;
    tiny_make(&c, 7);
    sh_hasher *h = train_tiny(&c, SH_ENCODER_AE, 16, 1);
    sh_code codes[N_DOCS];
    encode_all(h, &c, codes);
    double p = leave_one_out_precision(codes, c.label, 5);
    /* chance is (DOCS_PER_TOPIC - 1) / (N_DOCS - 1) = 0.24 */
    ck_assert_msg(p >= 0.75, "precision@5 of the trained codes %.3f, want >= 0.75", p);
    hasher_free(h);
    tiny_free(&c);
}
END_TEST

START_TEST(ae_training_is_deterministic)
{
    tiny_corpus c;
    tiny_make(&c, 11);
    sh_hasher *a = train_tiny(&c, SH_ENCODER_AE, 32, 5);
    sh_hasher *b = train_tiny(&c, SH_ENCODER_AE, 32, 5);
    sh_hasher *other = train_tiny(&c, SH_ENCODER_AE, 32, 6);
    uint8_t *buf[3];
    size_t len[3];
    sh_hasher *hs[3] = { a, b, other };
    for (int i = 0; i < 3; i++) {
        mf_writer *w = NULL;
        ck_assert_int_eq(mf_writer_new(MF_KIND_HASHER, &w), 0);
        ck_assert_int_eq(hasher_write(hs[i], w), 0);
        ck_assert_int_eq(mf_writer_finish(w, &buf[i], &len[i]), 0);
        mf_writer_free(w);
    }
    ck_assert_uint_eq(len[0], len[1]);
    ck_assert_msg(memcmp(buf[0], buf[1], len[0]) == 0, "same seed, different model bytes");
    ck_assert_msg(len[0] != len[2] || memcmp(buf[0], buf[2], len[0]) != 0,
                  "another seed gave the same model");
    for (int i = 0; i < 3; i++) {
        free(buf[i]);
        hasher_free(hs[i]);
    }
    tiny_free(&c);
}
END_TEST

/* A fresh temporary directory and a path in it. */
static void temp_path(char *dir, size_t dir_len, char *path, size_t path_len, const char *name)
{
    snprintf(dir, dir_len, "/tmp/semhash-hasher-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, path_len, "%s/%s", dir, name);
}

START_TEST(save_load_gives_identical_codes)
{
    tiny_corpus c;
    tiny_make(&c, 3);
    char dir[64], path[128], err[256] = "";
    temp_path(dir, sizeof dir, path, sizeof path, "model");
    sh_encoder_kind kinds[4] = { SH_ENCODER_AE, SH_ENCODER_SIMHASH, SH_ENCODER_LSH,
                                 SH_ENCODER_ITQ };
    for (int k = 0; k < 4; k++) {
        /* the tiny vocabulary has 56 terms: ITQ needs bits <= terms */
        int bits = kinds[k] == SH_ENCODER_ITQ ? 32 : 64;
        sh_hasher *h = train_tiny(&c, kinds[k], bits, 2), *back = NULL;
        ck_assert_int_eq(hasher_save(h, path, err, sizeof err), 0);
        ck_assert_msg(hasher_load(path, &back, err, sizeof err) == 0, "load: %s", err);
        ck_assert_int_eq(hasher_encoder(back), kinds[k]);
        ck_assert_int_eq(hasher_bits(back), bits);
        sh_code before[N_DOCS], after[N_DOCS];
        encode_all(h, &c, before);
        encode_all(back, &c, after);
        for (int d = 0; d < N_DOCS; d++) {
            ck_assert_msg(before[d].w[0] == after[d].w[0] && before[d].w[1] == after[d].w[1],
                          "%s: document %d changed code after load",
                          hasher_encoder_name(kinds[k]), d);
            /* the hex form round-trips */
            char hex[SH_CODE_MAX_BITS / 4 + 1];
            sh_code parsed;
            code_to_hex(&after[d], bits, hex);
            ck_assert_uint_eq(strlen(hex), (size_t)bits / 4);
            ck_assert_int_eq(code_from_hex(hex, bits, &parsed), 0);
            ck_assert(parsed.w[0] == after[d].w[0] && parsed.w[1] == after[d].w[1]);
        }
        hasher_free(h);
        hasher_free(back);
    }
    unlink(path);
    rmdir(dir);
    tiny_free(&c);
}
END_TEST

/* Copies section tag of m into w unchanged. */
static void copy_section(const mf_model *m, uint32_t tag, mf_writer *w)
{
    const void *data;
    size_t len;
    ck_assert_int_eq(mf_model_section(m, tag, &data, &len), 0);
    ck_assert_int_eq(mf_writer_add(w, tag, data, len), 0);
}

/* A model with a version 1 hasher section (an autoencoder's thresholds on
 * bit probabilities, as semhash wrote them before thresholds moved to
 * logits) still loads and encodes as it did: bit k is p_k > t_k. Made
 * here from a version 2 model by rewriting its section with the
 * probabilities of its logit thresholds; read as logits, those values
 * (all in (0, 1)) would set other bits. */
START_TEST(version_1_models_keep_their_codes)
{
    tiny_corpus c;
    tiny_make(&c, 5);
    char err[256] = "";
    sh_hasher *h = train_tiny(&c, SH_ENCODER_AE, 64, 2), *old = NULL;
    mf_writer *w = NULL;
    uint8_t *buf = NULL;
    size_t len = 0;
    ck_assert_int_eq(mf_writer_new(MF_KIND_HASHER, &w), 0);
    ck_assert_int_eq(hasher_write(h, w), 0);
    ck_assert_int_eq(mf_writer_finish(w, &buf, &len), 0);
    mf_writer_free(w);
    mf_model *m = NULL;
    ck_assert_int_eq(mf_read_buffer(buf, len, "v2", &m, err, sizeof err), 0);
    const void *data;
    size_t sec_len;
    ck_assert_int_eq(mf_model_section(m, HASHER_SECTION, &data, &sec_len), 0);
    mf_cursor cur;
    mf_cursor_init(&cur, data, sec_len);
    uint32_t version, encoder, bits, n_thr;
    float thr[64];
    const char *yaml;
    size_t yaml_len;
    ck_assert_int_eq(mf_get_u32(&cur, &version), 0);
    ck_assert_uint_eq(version, 2);
    ck_assert_int_eq(mf_get_u32(&cur, &encoder), 0);
    ck_assert_int_eq(mf_get_u32(&cur, &bits), 0);
    ck_assert_int_eq(mf_get_u32(&cur, &n_thr), 0);
    ck_assert_uint_eq(n_thr, 64);
    ck_assert_int_eq(mf_get_f32_array(&cur, thr, 64), 0);
    ck_assert_int_eq(mf_get_string(&cur, &yaml, &yaml_len), 0);
    char *yaml_copy = strndup(yaml, yaml_len);
    ck_assert_ptr_nonnull(yaml_copy);

    ck_assert_int_eq(mf_writer_new(MF_KIND_HASHER, &w), 0);
    ck_assert_int_eq(mf_writer_begin(w, HASHER_SECTION), 0);
    ck_assert_int_eq(mf_put_u32(w, 1), 0);
    ck_assert_int_eq(mf_put_u32(w, encoder), 0);
    ck_assert_int_eq(mf_put_u32(w, bits), 0);
    ck_assert_int_eq(mf_put_u32(w, n_thr), 0);
    for (int k = 0; k < 64; k++)
        ck_assert_int_eq(mf_put_f32(w, (float)(1.0 / (1.0 + exp(-(double)thr[k])))), 0);
    ck_assert_int_eq(mf_put_string(w, yaml_copy), 0);
    ck_assert_int_eq(mf_writer_end(w), 0);
    copy_section(m, MF_TAG('T', 'X', 'T', 'C'), w);
    copy_section(m, MF_TAG('V', 'O', 'C', 'B'), w);
    copy_section(m, NN_TAG_CONFIG('0'), w);
    copy_section(m, NN_TAG_PARAMS('0'), w);
    uint8_t *old_buf = NULL;
    size_t old_len = 0;
    ck_assert_int_eq(mf_writer_finish(w, &old_buf, &old_len), 0);
    mf_writer_free(w);
    mf_model *old_m = NULL;
    ck_assert_int_eq(mf_read_buffer(old_buf, old_len, "v1", &old_m, err, sizeof err), 0);
    ck_assert_msg(hasher_read(old_m, &old, err, sizeof err) == 0, "%s", err);

    sh_code now[N_DOCS], before[N_DOCS];
    encode_all(h, &c, now);
    encode_all(old, &c, before);
    for (int d = 0; d < N_DOCS; d++)
        ck_assert_msg(before[d].w[0] == now[d].w[0] && before[d].w[1] == now[d].w[1],
                      "document %d: another code from the version 1 model", d);
    free(yaml_copy);
    free(buf);
    free(old_buf);
    mf_model_free(m);
    mf_model_free(old_m);
    hasher_free(h);
    hasher_free(old);
    tiny_free(&c);
}
END_TEST

/* Vectorises the tiny corpus with h's vocabulary. */
static void tiny_rows(sh_hasher *h, const tiny_corpus *c, sh_csr *rows)
{
    char err[256];
    ck_assert_int_eq(csr_init(rows, text_vocab_size(hasher_vocab(h))), 0);
    ck_assert_int_eq(hasher_vectorize_docs(hasher_vocab(h), c->docs, N_DOCS, rows, NULL, err,
                                           sizeof err), 0);
}

/* The hasher's baselines are the centred encoders of baseline_hash.h and
 * itq.h, fitted on the training rows (here: every tiny document). */
START_TEST(simhash_and_lsh_match_baseline_hash)
{
    tiny_corpus c;
    tiny_make(&c, 5);
    for (int bits = 8; bits <= 128; bits += 40) {
        sh_hasher *sim = train_tiny(&c, SH_ENCODER_SIMHASH, bits, 9);
        sh_hasher *lsh_h = train_tiny(&c, SH_ENCODER_LSH, bits, 9);
        sh_csr rows;
        tiny_rows(sim, &c, &rows);
        const text_vocab *v = hasher_vocab(sim);
        size_t V = text_vocab_size(v);
        uint64_t *hashes = malloc(V * sizeof(uint64_t));
        for (size_t j = 0; j < V; j++) {
            size_t len;
            const char *term = text_vocab_term(v, (uint32_t)j, &len);
            hashes[j] = XXH64(term, len, 0);
        }
        sh_code want[N_DOCS], got[N_DOCS], plain[N_DOCS];
        float offsets[SH_CODE_MAX_BITS];
        ck_assert_int_eq(simhash_fit_offsets(&rows, hashes, bits, offsets), 0);
        ck_assert_int_eq(simhash_encode_centred(&rows, hashes, bits, offsets, want), 0);
        ck_assert_int_eq(simhash_encode(&rows, hashes, bits, plain), 0);
        int moved = 0;
        for (int d = 0; d < N_DOCS; d++)
            moved += code_hamming(&want[d], &plain[d]);
        ck_assert_int_gt(moved, 0); /* centring changes codes: the case is not vacuous */
        encode_all(sim, &c, got);
        for (int d = 0; d < N_DOCS; d++)
            ck_assert(want[d].w[0] == got[d].w[0] && want[d].w[1] == got[d].w[1]);
        sh_lsh *lsh = NULL;
        ck_assert_int_eq(lsh_new(V, bits, 9, &lsh), 0);
        ck_assert_int_eq(lsh_fit_offsets(lsh, &rows, offsets), 0);
        ck_assert_int_eq(lsh_encode_centred(lsh, &rows, offsets, want), 0);
        encode_all(lsh_h, &c, got);
        for (int d = 0; d < N_DOCS; d++)
            ck_assert(want[d].w[0] == got[d].w[0] && want[d].w[1] == got[d].w[1]);
        lsh_free(lsh);
        if (bits <= 48) { /* ITQ: bits <= the 56 terms */
            sh_hasher *itq_h = train_tiny(&c, SH_ENCODER_ITQ, bits, 9);
            sh_itq *itq = NULL;
            ck_assert_int_eq(itq_fit(&rows, bits, ITQ_ITERATIONS, 9, &itq, NULL), 0);
            ck_assert_int_eq(itq_encode(itq, &rows, NULL, want), 0);
            encode_all(itq_h, &c, got);
            for (int d = 0; d < N_DOCS; d++)
                ck_assert(want[d].w[0] == got[d].w[0] && want[d].w[1] == got[d].w[1]);
            const float *thr = hasher_thresholds(itq_h);
            ck_assert_ptr_nonnull(thr);
            for (int k = 0; k < bits; k++)
                ck_assert(thr[k] == itq_offset(itq, k));
            itq_free(itq);
            hasher_free(itq_h);
        }
        free(hashes);
        csr_free(&rows);
        hasher_free(sim);
        hasher_free(lsh_h);
    }
    tiny_free(&c);
}
END_TEST

START_TEST(neighbours_match_brute_force)
{
    sh_rng rng;
    rng_seed(&rng, 21);
    enum { N = 40, V = 30, TOP = 5 };
    sh_csr x;
    ck_assert_int_eq(csr_init(&x, V), 0);
    float dense[N][V];
    memset(dense, 0, sizeof dense);
    for (int r = 0; r < N; r++) {
        uint32_t cols[V];
        float vals[V];
        size_t n = 0;
        for (int j = 0; j < V; j++)
            if (rng_uniform(&rng) < 0.2f) {
                cols[n] = (uint32_t)j;
                /* multiples of 1/4 keep the dot products exact in float */
                vals[n] = 0.25f * (float)(1 + rng_below(&rng, 4));
                dense[r][j] = vals[n];
                n++;
            }
        ck_assert_int_eq(csr_append_row(&x, n, cols, vals), 0);
    }
    uint32_t nbr[N * TOP];
    ck_assert_int_eq(hash_neighbours(&x, &x, TOP, 1, nbr), 0);
    for (int q = 0; q < N; q++) {
        /* brute force: best score first, lower index among ties, self excluded */
        int taken[N] = { 0 };
        taken[q] = 1;
        for (int i = 0; i < TOP; i++) {
            int best = -1;
            float best_s = 0.0f;
            for (int j = 0; j < N; j++) {
                float s = 0.0f;
                for (int k = 0; k < V; k++)
                    s += dense[q][k] * dense[j][k];
                if (!taken[j] && s > best_s) {
                    best_s = s;
                    best = j;
                }
            }
            uint32_t want = best < 0 ? UINT32_MAX : (uint32_t)best;
            ck_assert_msg(nbr[q * TOP + i] == want, "query %d rank %d: got %u want %u", q, i,
                          nbr[q * TOP + i], want);
            if (best >= 0)
                taken[best] = 1;
        }
    }
    csr_free(&x);
}
END_TEST

/* Rows x = m + C B of rank 8 around a mean m: their principal subspace of
 * 8 dimensions holds every centred row, so cosine there is the cosine of
 * the centred rows, computed here directly. */
START_TEST(pca_neighbours_are_centred_cosine_neighbours)
{
    enum { N = 40, NQ = 10, V = 24, R = 8, TOP = 5 };
    sh_rng rng;
    rng_seed(&rng, 5);
    float basis[R][V], mean[V], dense[N + NQ][V];
    for (int j = 0; j < V; j++)
        mean[j] = 3.0f + rng_uniform(&rng);
    for (int b = 0; b < R; b++)
        for (int j = 0; j < V; j++)
            basis[b][j] = rng_uniform(&rng) - 0.5f;
    sh_csr db, queries;
    ck_assert_int_eq(csr_init(&db, V), 0);
    ck_assert_int_eq(csr_init(&queries, V), 0);
    uint32_t cols[V];
    for (int j = 0; j < V; j++)
        cols[j] = (uint32_t)j;
    for (int r = 0; r < N + NQ; r++) {
        for (int j = 0; j < V; j++)
            dense[r][j] = mean[j];
        for (int b = 0; b < R; b++) {
            float c = 2.0f * rng_uniform(&rng) - 1.0f;
            for (int j = 0; j < V; j++)
                dense[r][j] += c * basis[b][j];
        }
        ck_assert_int_eq(csr_append_row(r < N ? &db : &queries, V, cols, dense[r]), 0);
    }
    double m[V] = { 0 };
    for (int r = 0; r < N; r++)
        for (int j = 0; j < V; j++)
            m[j] += dense[r][j] / N;
    for (int pass = 0; pass < 2; pass++) {
        /* pass 0: the db against itself (self excluded); 1: other queries */
        const sh_csr *q_rows = pass == 0 ? &db : &queries;
        int nq = pass == 0 ? N : NQ;
        uint32_t nbr[N * TOP];
        ck_assert_int_eq(hash_neighbours_pca(q_rows, &db, TOP, pass == 0, 12, 3, nbr), 0);
        for (int q = 0; q < nq; q++) {
            const float *xq = dense[pass == 0 ? q : N + q];
            double cos[N];
            for (int d = 0; d < N; d++) {
                double dot = 0, nq2 = 0, nd2 = 0;
                for (int j = 0; j < V; j++) {
                    double a = xq[j] - m[j], b = dense[d][j] - m[j];
                    dot += a * b;
                    nq2 += a * a;
                    nd2 += b * b;
                }
                cos[d] = dot / sqrt(nq2 * nd2);
            }
            if (pass == 0)
                cos[q] = -INFINITY;
            /* the i-th listed neighbour scores (within float error) the
             * i-th best centred cosine */
            for (int i = 0; i < TOP; i++) {
                double best = -INFINITY;
                int taken = 0;
                for (int d = 0; d < N; d++) {
                    int listed_before = 0;
                    for (int k = 0; k < i; k++)
                        listed_before |= nbr[q * TOP + k] == (uint32_t)d;
                    if (!listed_before && cos[d] > best)
                        best = cos[d];
                    taken += listed_before;
                }
                ck_assert_int_eq(taken, i);
                uint32_t got = nbr[q * TOP + i];
                ck_assert_uint_lt(got, N);
                ck_assert_msg(fabs(cos[got] - best) < 1e-4, "pass %d query %d rank %d: cosine "
                              "%.6f, best %.6f", pass, q, i, cos[got], best);
            }
        }
    }
    /* fewer than 8 dimensions: the tf-idf cosine search */
    uint32_t a[N * TOP], b[N * TOP];
    ck_assert_int_eq(hash_neighbours_pca(&db, &db, TOP, 1, 7, 3, a), 0);
    ck_assert_int_eq(hash_neighbours(&db, &db, TOP, 1, b), 0);
    ck_assert(memcmp(a, b, sizeof a) == 0);
    ck_assert_int_eq(hash_neighbours_pca(&db, &db, 0, 1, 8, 3, a), SH_EINVAL);
    csr_free(&db);
    csr_free(&queries);
}
END_TEST

START_TEST(sizes_adapt_to_the_collection)
{
    sh_config cfg;
    config_defaults(&cfg);
    hash_train_opts o;
    hash_train_opts_from_config(&o, &cfg);
    int hidden[SH_MAX_HIDDEN_LAYERS], batch;
    hash_train_adapt(&o, 400, hidden, &batch);
    ck_assert_int_eq(hidden[0], 128); /* max(2K, 400 / 8) */
    ck_assert_int_eq(hidden[1], 128);
    ck_assert_int_eq(batch, 16);
    hash_train_adapt(&o, 4000, hidden, &batch);
    ck_assert_int_eq(hidden[0], 500);
    ck_assert_int_eq(batch, 125);
    hash_train_adapt(&o, 1000000, hidden, &batch);
    ck_assert_int_eq(hidden[0], 500);
    ck_assert_int_eq(batch, 128);
    o.adapt_sizes = 0;
    hash_train_adapt(&o, 400, hidden, &batch);
    ck_assert_int_eq(hidden[0], 500);
    ck_assert_int_eq(batch, 128);
}
END_TEST

START_TEST(recipe_options_parse)
{
    sh_config cfg;
    config_defaults(&cfg);
    hash_train_opts o;
    hash_train_opts_from_config(&o, &cfg);
    char err[512];
    ck_assert_int_eq(hash_train_opts_set(&o, "drop_rate=0.2", err, sizeof err), 0);
    ck_assert(fabs(o.drop_rate - 0.2) < 1e-12);
    ck_assert_int_eq(hash_train_opts_set(&o, "neighbours=10", err, sizeof err), 0);
    ck_assert_int_eq(o.neighbours, 10);
    ck_assert_int_eq(hash_train_opts_set(&o, "neighbours=65", err, sizeof err), SH_EINVAL);
    ck_assert_int_eq(hash_train_opts_set(&o, "drop_rate=1", err, sizeof err), SH_EINVAL);
    ck_assert_int_eq(hash_train_opts_set(&o, "neighbour_min_sim=0.2", err, sizeof err), 0);
    ck_assert_double_eq(o.neighbour_min_sim, 0.2);
    ck_assert_int_eq(hash_train_opts_set(&o, "neighbour_min_sim=1.5", err, sizeof err),
                     SH_EINVAL);
    ck_assert_int_eq(hash_train_opts_set(&o, "threshold_window=0.25", err, sizeof err), 0);
    ck_assert_double_eq(o.threshold_window, 0.25);
    ck_assert_int_eq(hash_train_opts_set(&o, "threshold_window=0.5", err, sizeof err),
                     SH_EINVAL);
    ck_assert_int_eq(hash_train_opts_set(&o, "nonsense=1", err, sizeof err), SH_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "nonsense"));
    ck_assert_int_eq(hash_train_opts_set(&o, "kl_weight", err, sizeof err), SH_EINVAL);
    ck_assert_int_eq(hash_train_opts_set(&o, "kl_weight=abc", err, sizeof err), SH_EINVAL);
    ck_assert_int_eq(o.start, SH_START_AUTO);
    ck_assert_int_eq(hash_train_opts_set(&o, "start=itq", err, sizeof err), 0);
    ck_assert_int_eq(o.start, SH_START_ITQ);
    ck_assert_int_eq(hash_train_opts_set(&o, "start=0", err, sizeof err), 0);
    ck_assert_int_eq(o.start, SH_START_RANDOM);
    ck_assert_int_eq(hash_train_opts_set(&o, "start=best", err, sizeof err), SH_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "random, itq, auto or both"));
    ck_assert_int_eq(hash_train_opts_set(&o, "itq_warmup=3", err, sizeof err), 0);
    ck_assert_int_eq(o.itq_warmup, 3);
    ck_assert_double_eq(o.itq_lr_scale, 1.0);
    ck_assert_int_eq(hash_train_opts_set(&o, "itq_lr_scale=0.25", err, sizeof err), 0);
    ck_assert_double_eq(o.itq_lr_scale, 0.25);
    ck_assert_int_eq(hash_train_opts_set(&o, "itq_lr_scale=0", err, sizeof err), SH_EINVAL);
    ck_assert_int_eq(hash_train_opts_set(&o, "itq_lr_scale=1.5", err, sizeof err), SH_EINVAL);
    ck_assert_double_eq(o.itq_lr_scale, 0.25);
}
END_TEST

START_TEST(denoising_and_neighbours_train)
{
    /* the optional parts of the recipe run and still give topical codes */
    tiny_corpus c;
    tiny_make(&c, 13);
    sh_config cfg;
    tiny_config(&cfg, SH_ENCODER_AE, 16);
    cfg.train.validation_fraction = 0.2;
    hash_train_opts o;
    hash_train_opts_from_config(&o, &cfg);
    o.drop_rate = 0.1;
    o.sub_rate = 0.1;
    o.neighbours = 3;
    o.neighbour_weight = 0.5;
    o.neighbour_min_sim = 0.05;
    o.median_threshold = 1;
    sh_hasher *h = NULL;
    hash_train_summary s;
    char err[256] = "";
    ck_assert_msg(hasher_train_docs(&cfg, c.docs, N_DOCS, &o, &h, &s, err, sizeof err) == 0,
                  "%s", err);
    ck_assert(!isnan(s.valid_precision));
    sh_code codes[N_DOCS];
    encode_all(h, &c, codes);
    ck_assert_double_ge(leave_one_out_precision(codes, c.label, 5), 0.6);
    /* median thresholds: a bit is set in at most half the training documents
     * (80% of the corpus here), so in at most 32 + 13 of all 64 */
    ck_assert_ptr_nonnull(hasher_thresholds(h));
    for (int k = 0; k < 16; k++) {
        int set = 0;
        for (int d = 0; d < N_DOCS; d++)
            set += code_get_bit(&codes[d], k);
        ck_assert_msg(set <= N_DOCS / 2 + 13, "bit %d set in %d documents", k, set);
    }
    hasher_free(h);
    tiny_free(&c);
}
END_TEST

START_TEST(threshold_window_finds_the_gap)
{
    /* column 0: 40 rows at logit -3, 20 packed around logit 0 (the median
     * falls among them), 40 at logit +4; column 1 constant */
    enum { N = 100 };
    float p[N * 2];
    for (int i = 0; i < N; i++) {
        double z = i < 40 ? -3.0 : i < 60 ? -0.01 + 0.001 * (i - 40) : 4.0;
        p[(N - 1 - i) * 2] = (float)z; /* rows in reverse */
        p[(N - 1 - i) * 2 + 1] = -0.8f;
    }
    float t[2];
    ck_assert_int_eq(hash_thresholds(p, N, 2, 0.0, t), 0);
    ck_assert_float_eq(t[0], p[(N - 1 - 49) * 2]); /* the lower median */
    ck_assert_float_eq(t[1], -0.8f);
    /* window 0.1 (ranks 9..59): the widest gap is between rank 59 and 60,
     * logits 0.009 and 4, wider than the one at 39/40 */
    ck_assert_int_eq(hash_thresholds(p, N, 2, 0.1, t), 0);
    double mid = (0.009 + 4.0) / 2;
    ck_assert_double_eq_tol(t[0], mid, 1e-4);
    ck_assert_float_eq(t[1], -0.8f);
    int set = 0;
    for (int i = 0; i < N; i++)
        set += p[i * 2] > t[0];
    ck_assert_int_eq(set, 40);
    /* window 0.05 (ranks 44..54): only packed values, the gaps equal up
     * to rounding: the threshold stays among them, never outside */
    ck_assert_int_eq(hash_thresholds(p, N, 2, 0.05, t), 0);
    ck_assert(t[0] > p[(N - 1 - 44) * 2] && t[0] < p[(N - 1 - 55) * 2]);
}
END_TEST

/* Thresholds on logits split rows whose probabilities are all 1.0f: 70
 * of 100 rows have logits 20..89 (sigmoid rounds every one to 1.0f), 30
 * have logits below 0. On probabilities the lower median is 1.0 and no
 * row is above it (a constant bit); on logits half the rows are. */
START_TEST(saturated_logits_still_split)
{
    enum { N = 100 };
    float logit[N], prob[N], t;
    for (int i = 0; i < N; i++) {
        logit[i] = i < 30 ? -1.0f - (float)i : 20.0f + (float)(i - 30);
        prob[i] = (float)(1.0 / (1.0 + exp(-(double)logit[i])));
    }
    ck_assert_float_eq(prob[30], 1.0f);
    ck_assert_int_eq(hash_thresholds(prob, N, 1, 0.0, &t), 0);
    int set = 0;
    for (int i = 0; i < N; i++)
        set += prob[i] > t;
    ck_assert_int_eq(set, 0); /* what probability thresholds did */
    ck_assert_int_eq(hash_thresholds(logit, N, 1, 0.0, &t), 0);
    set = 0;
    for (int i = 0; i < N; i++)
        set += logit[i] > t;
    ck_assert_int_eq(set, N / 2);
}
END_TEST

/* ---- limits ------------------------------------------------------------------ */

START_TEST(empty_corpus_is_an_error)
{
    sh_config cfg;
    tiny_config(&cfg, SH_ENCODER_AE, 64);
    sh_hasher *h = NULL;
    char err[256] = "";
    ck_assert_int_eq(hasher_train_docs(&cfg, NULL, 0, NULL, &h, NULL, err, sizeof err),
                     SH_EEMPTY);
    ck_assert_ptr_null(h);
    ck_assert_ptr_nonnull(strstr(err, "empty"));
    /* documents that are all binary are no corpus either */
    char bin[4] = { 'a', '\0', 'b', 'c' };
    hasher_doc docs[2] = { { bin, 4 }, { bin, 4 } };
    ck_assert_int_eq(hasher_train_docs(&cfg, docs, 2, NULL, &h, NULL, err, sizeof err),
                     SH_EEMPTY);
    ck_assert_ptr_null(h);
}
END_TEST

START_TEST(bad_code_widths_are_refused)
{
    tiny_corpus c;
    tiny_make(&c, 1);
    int bad[4] = { 0, 12, 136, 256 };
    for (int i = 0; i < 4; i++) {
        sh_config cfg;
        tiny_config(&cfg, SH_ENCODER_LSH, bad[i]);
        sh_hasher *h = NULL;
        char err[256] = "";
        ck_assert_int_eq(hasher_train_docs(&cfg, c.docs, N_DOCS, NULL, &h, NULL, err,
                                           sizeof err), SH_ECONFIG);
        ck_assert_ptr_null(h);
        ck_assert_ptr_nonnull(strstr(err, "multiple of 8"));
    }
    tiny_free(&c);
}
END_TEST

START_TEST(another_version_is_refused)
{
    tiny_corpus c;
    tiny_make(&c, 4);
    char dir[64], path[128], err[256] = "";
    temp_path(dir, sizeof dir, path, sizeof path, "model");
    sh_hasher *h = train_tiny(&c, SH_ENCODER_SIMHASH, 32, 1), *back = NULL;

    /* a hasher section of a future version, in a valid container */
    mf_writer *w = NULL;
    ck_assert_int_eq(mf_writer_new(MF_KIND_HASHER, &w), 0);
    ck_assert_int_eq(mf_writer_begin(w, HASHER_SECTION), 0);
    ck_assert_int_eq(mf_put_u32(w, HASHER_SECTION_VERSION + 1), 0);
    ck_assert_int_eq(mf_writer_end(w), 0);
    ck_assert_int_eq(text_vocab_write(hasher_vocab(h), w), 0);
    ck_assert_int_eq(mf_writer_save(w, path, err, sizeof err), 0);
    mf_writer_free(w);
    ck_assert_int_eq(hasher_load(path, &back, err, sizeof err), SH_EVERSION);
    ck_assert_ptr_null(back);
    ck_assert_ptr_nonnull(strstr(err, "version"));

    /* a container of another format version */
    ck_assert_int_eq(hasher_save(h, path, err, sizeof err), 0);
    FILE *f = fopen(path, "r+b");
    ck_assert_ptr_nonnull(f);
    uint8_t v = (uint8_t)(MF_FORMAT_VERSION + 1);
    ck_assert_int_eq(fseek(f, 8, SEEK_SET), 0);
    ck_assert_int_eq(fwrite(&v, 1, 1, f), 1);
    fclose(f);
    ck_assert_int_eq(hasher_load(path, &back, err, sizeof err), SH_EVERSION);
    ck_assert_ptr_null(back);

    /* another kind of model */
    ck_assert_int_eq(mf_writer_new(MF_KIND_AUTOENCODER, &w), 0);
    ck_assert_int_eq(hasher_write(h, w), 0);
    ck_assert_int_eq(mf_writer_save(w, path, err, sizeof err), 0);
    mf_writer_free(w);
    ck_assert_int_eq(hasher_load(path, &back, err, sizeof err), SH_EMODEL);
    ck_assert_ptr_null(back);

    unlink(path);
    rmdir(dir);
    hasher_free(h);
    tiny_free(&c);
}
END_TEST

/* itq_init starts the encoder at PCA + ITQ: trained with a vanishing
 * learning rate, the codes (at threshold 0.5) are ITQ's; unigram_bias
 * starts the decoder bias at the log word shares. Both with and without
 * hidden layers. */
START_TEST(itq_init_starts_at_itq_codes)
{
    tiny_corpus c;
    tiny_make(&c, 17);
    for (int n_hidden = 0; n_hidden <= 2; n_hidden += 2) {
        sh_config cfg;
        tiny_config(&cfg, SH_ENCODER_AE, 16);
        cfg.model.n_hidden = n_hidden;
        cfg.model.hidden[0] = cfg.model.hidden[1] = 40;   /* >= 2 x 16 */
        cfg.train.epochs = 1;
        cfg.train.learning_rate = 1e-9;
        hash_train_opts o;
        hash_train_opts_from_config(&o, &cfg);
        o.start = SH_START_ITQ;
        o.itq_init = 3.0;
        o.itq_warmup = 0;
        o.unigram_bias = 1;
        o.median_threshold = 0;
        o.kl_weight = 0.0;
        sh_hasher *h = NULL;
        char err[256] = "";
        ck_assert_msg(hasher_train_docs(&cfg, c.docs, N_DOCS, &o, &h, NULL, err, sizeof err) == 0,
                      "%s", err);
        sh_csr rows, counts;
        tiny_rows(h, &c, &rows);
        ck_assert_int_eq(csr_init(&counts, rows.cols), 0);
        sh_csr scratch;
        ck_assert_int_eq(csr_init(&scratch, rows.cols), 0);
        ck_assert_int_eq(hasher_vectorize_docs(hasher_vocab(h), c.docs, N_DOCS, &scratch, &counts,
                                               err, sizeof err), 0);
        sh_itq *itq = NULL;
        ck_assert_int_eq(itq_fit(&rows, 16, ITQ_ITERATIONS, cfg.train.seed, &itq, NULL), 0);
        sh_code want[N_DOCS], got[N_DOCS];
        float z[N_DOCS * 16];
        ck_assert_int_eq(itq_encode(itq, &rows, NULL, want), 0);
        ck_assert_int_eq(itq_project(itq, &rows, z), 0);
        encode_all(h, &c, got);
        for (int d = 0; d < N_DOCS; d++)
            for (int k = 0; k < 16; k++)
                if (fabsf(z[d * 16 + k]) > 1e-4f)
                    ck_assert_msg(code_get_bit(&want[d], k) == code_get_bit(&got[d], k),
                                  "%d hidden: document %d bit %d", n_hidden, d, k);
        /* the decoder bias: log of (count + 1) / (total + V) per word */
        mf_writer *w = NULL;
        ck_assert_int_eq(mf_writer_new(MF_KIND_HASHER, &w), 0);
        ck_assert_int_eq(hasher_write(h, w), 0);
        uint8_t *buf;
        size_t len;
        ck_assert_int_eq(mf_writer_finish(w, &buf, &len), 0);
        mf_writer_free(w);
        mf_model *m = NULL;
        ck_assert_int_eq(mf_read_buffer(buf, len, "m", &m, err, sizeof err), 0);
        nn_net *net = NULL;
        ck_assert_int_eq(nn_load_sections(m, '0', 0, 1, &net, err, sizeof err), 0);
        size_t V = rows.cols;
        double *share = calloc(V, sizeof(double)), total = (double)V;
        for (size_t e = 0; e < counts.row_ptr[counts.rows]; e++) {
            share[counts.col_idx[e]] += counts.values[e];
            total += counts.values[e];
        }
        const float *bias = net->b[net->n_layers - 1];
        for (size_t v = 0; v < V; v++)
            ck_assert_msg(fabs(bias[v] - log((share[v] + 1) / total)) < 1e-4,
                          "word %zu: bias %g", v, bias[v]);
        free(share);
        nn_free(net);
        mf_model_free(m);
        free(buf);
        itq_free(itq);
        csr_free(&rows);
        csr_free(&counts);
        csr_free(&scratch);
        hasher_free(h);
    }
    /* a hidden layer narrower than 2 x bits cannot carry the construction:
     * the encoder starts random and the summary says so */
    sh_config cfg;
    tiny_config(&cfg, SH_ENCODER_AE, 16);
    cfg.model.hidden[0] = 24;
    hash_train_opts o;
    hash_train_opts_from_config(&o, &cfg);
    o.start = SH_START_ITQ;
    o.itq_init = 2.0;
    sh_hasher *h = NULL;
    hash_train_summary s;
    char err[256] = "";
    ck_assert_int_eq(hasher_train_docs(&cfg, c.docs, N_DOCS, &o, &h, &s, err, sizeof err), 0);
    ck_assert_int_eq(s.itq_initialised, 0);
    hasher_free(h);
    o.hidden[0] = 32;
    ck_assert_int_eq(hasher_train_docs(&cfg, c.docs, N_DOCS, &o, &h, &s, err, sizeof err), 0);
    ck_assert_int_eq(s.itq_initialised, 1);
    hasher_free(h);
    tiny_free(&c);
}
END_TEST

/* The tiny corpus's autoencoder for the start tests: a hidden layer wide
 * enough for the ITQ start, a quarter held out for validation, 2
 * decoder-only epochs after the ITQ start; patience 0 keeps the default. */
static void start_config(sh_config *cfg, hash_train_opts *o, int bits, int epochs, int patience)
{
    tiny_config(cfg, SH_ENCODER_AE, bits);
    cfg->model.hidden[0] = 64;
    cfg->train.epochs = epochs;
    if (patience > 0)
        cfg->train.patience = patience;
    cfg->train.validation_fraction = 0.25;
    hash_train_opts_from_config(o, cfg);
    o->itq_warmup = 2;
}

/* start both trains from a random start and from PCA + ITQ and keeps the
 * run with the higher validation precision; start auto trains the ITQ
 * start only when the random run's validation precision is not above ITQ's
 * own codes'. The summary says which start was kept, and the kept model is
 * bit for bit the one that start gives on its own. A net too narrow for
 * the ITQ start trains once, from random weights. */
START_TEST(auto_start_keeps_the_better_validation)
{
    tiny_corpus c;
    tiny_make(&c, 19);
    int kept[2] = { 0, 0 }, probed_only = 0;
    for (int bits = 8; bits <= 32; bits += 8) {
        sh_config cfg;
        hash_train_opts o;
        start_config(&cfg, &o, bits, 15, 0);
        ck_assert_int_eq(o.start, SH_START_AUTO);
        hash_train_summary one[2], rule[2];
        sh_hasher *alone[2] = { NULL, NULL }, *h[2] = { NULL, NULL };
        char err[256] = "";
        sh_code want[N_DOCS], got[N_DOCS];
        for (int itq = 0; itq < 2; itq++) {
            hash_train_opts oi = o;
            oi.start = itq ? SH_START_ITQ : SH_START_RANDOM;
            ck_assert_msg(hasher_train_docs(&cfg, c.docs, N_DOCS, &oi, &alone[itq], &one[itq],
                                            err, sizeof err) == 0, "%s", err);
            ck_assert_int_eq(one[itq].itq_initialised, itq);
            ck_assert_int_eq(one[itq].starts_tried, 1);
        }
        for (int r = 0; r < 2; r++) { /* r 0: both, 1: auto */
            hash_train_opts oi = o;
            oi.start = r == 0 ? SH_START_BOTH : SH_START_AUTO;
            hash_train_summary *s = &rule[r];
            ck_assert_int_eq(hasher_train_docs(&cfg, c.docs, N_DOCS, &oi, &h[r], s, err,
                                               sizeof err), 0);
            ck_assert(s->valid_random == one[0].valid_precision);
            ck_assert(!isnan(s->valid_itq_codes));
            int tried = r == 0 || !(s->valid_random > s->valid_itq_codes);
            ck_assert_int_eq(s->starts_tried, tried ? 2 : 1);
            if (tried)
                ck_assert(s->valid_itq == one[1].valid_precision);
            else
                ck_assert(isnan(s->valid_itq));
            int want_itq = tried && s->valid_itq > s->valid_random;
            ck_assert_msg(s->itq_initialised == want_itq, "%d bits, %s: random %.3f itq %.3f, "
                          "kept %s", bits, r ? "auto" : "both", s->valid_random, s->valid_itq,
                          s->itq_initialised ? "itq" : "random");
            ck_assert(s->valid_precision == one[want_itq].valid_precision);
            ck_assert_int_eq(s->best_epoch, one[want_itq].best_epoch);
            encode_all(h[r], &c, got);
            encode_all(alone[want_itq], &c, want);
            for (int d = 0; d < N_DOCS; d++)
                ck_assert_msg(code_hamming(&got[d], &want[d]) == 0, "%d bits: document %d",
                              bits, d);
            if (r == 0)
                kept[want_itq]++;
            else
                probed_only += !tried;
            hasher_free(h[r]);
        }
        hasher_free(alone[0]);
        hasher_free(alone[1]);
    }
    /* too narrow for the ITQ start (hidden < 2K): one run, from random */
    sh_config cfg;
    tiny_config(&cfg, SH_ENCODER_AE, 16);
    cfg.model.hidden[0] = 24;
    cfg.train.epochs = 12;
    cfg.train.validation_fraction = 0.25;
    hash_train_opts o;
    hash_train_opts_from_config(&o, &cfg);
    sh_hasher *h = NULL;
    hash_train_summary s;
    char err[256] = "";
    ck_assert_int_eq(hasher_train_docs(&cfg, c.docs, N_DOCS, &o, &h, &s, err, sizeof err), 0);
    ck_assert_int_eq(s.starts_tried, 1);
    ck_assert_int_eq(s.itq_initialised, 0);
    ck_assert(isnan(s.valid_itq) && isnan(s.valid_itq_codes) && !isnan(s.valid_random));
    hasher_free(h);
    /* without a validation split auto is the random start */
    cfg.model.hidden[0] = 64;
    cfg.train.validation_fraction = 0.0;
    hash_train_opts_from_config(&o, &cfg);
    ck_assert_int_eq(hasher_train_docs(&cfg, c.docs, N_DOCS, &o, &h, &s, err, sizeof err), 0);
    ck_assert_int_eq(s.starts_tried, 1);
    ck_assert_int_eq(s.itq_initialised, 0);
    hasher_free(h);
    fprintf(stderr, "start both kept random %d, itq %d; auto stopped at the probe %d times\n",
            kept[0], kept[1], probed_only);
    tiny_free(&c);
}
END_TEST

/* The validation precision of each epoch of the random start's run. */
typedef struct {
    double valid[64];
    int n;
} epoch_log;

static int log_random_epochs(const hash_epoch_info *info, void *user)
{
    epoch_log *log = user;
    if (!info->itq_start && log->n < 64)
        log->valid[log->n++] = info->valid_precision;
    return 0;
}

/* start auto measures ITQ's own codes first, and its random run stops once
 * it has gone `patience` trained epochs without rising above them (the ITQ
 * start is trained then anyway). Its epochs are those of the random start
 * alone, cut where that rule says, and it keeps the best of them. */
START_TEST(auto_random_run_stops_when_it_trails_itq_codes)
{
    tiny_corpus c;
    tiny_make(&c, 19);
    int cut = 0;
    for (int bits = 8; bits <= 32; bits += 8) {
        sh_config cfg;
        hash_train_opts o;
        start_config(&cfg, &o, bits, 30, 3);
        o.on_epoch = log_random_epochs;
        epoch_log alone = { { 0 }, 0 }, in_auto = { { 0 }, 0 };
        hash_train_summary s_alone, s_auto;
        sh_hasher *h = NULL;
        char err[256] = "";
        o.start = SH_START_RANDOM;
        o.user = &alone;
        ck_assert_msg(hasher_train_docs(&cfg, c.docs, N_DOCS, &o, &h, &s_alone, err,
                                        sizeof err) == 0, "%s", err);
        hasher_free(h);
        o.start = SH_START_AUTO;
        o.user = &in_auto;
        ck_assert_msg(hasher_train_docs(&cfg, c.docs, N_DOCS, &o, &h, &s_auto, err,
                                        sizeof err) == 0, "%s", err);
        hasher_free(h);
        double bar = s_auto.valid_itq_codes;
        ck_assert(!isnan(bar));
        /* the rule replayed on the random start's own epochs: the first
         * candidate is epoch 10 (1-based), patience counts from epoch 9 */
        double top = bar, kept = -1.0;
        int last_rise = 8, want = alone.n;
        for (int e = 0; e < alone.n; e++) {
            if (e + 1 < 10)
                continue;
            if (alone.valid[e] > kept)
                kept = alone.valid[e];
            if (alone.valid[e] > top) {
                top = alone.valid[e];
                last_rise = e;
            } else if (e - last_rise >= cfg.train.patience) {
                want = e + 1;
                break;
            }
        }
        ck_assert_msg(in_auto.n == want, "%d bits: the random run ran %d epochs, the rule "
                      "says %d (alone %d, ITQ's codes %.3f)", bits, in_auto.n, want, alone.n,
                      bar);
        for (int e = 0; e < in_auto.n; e++)
            ck_assert(in_auto.valid[e] == alone.valid[e]);
        ck_assert(s_auto.valid_random == kept);
        cut += want < alone.n;
    }
    ck_assert_msg(cut > 0, "no width's random run trailed ITQ's codes: nothing tested");
    fprintf(stderr, "auto: the random run stopped early behind ITQ's codes at %d of 4 widths\n",
            cut);
    tiny_free(&c);
}
END_TEST

/* Central differences (h = 1e-3) of value(p) against the analytic
 * gradient dp[n], element by element. */
typedef double (*code_term_fn)(float *p, void *ctx);

static void assert_gradient(code_term_fn value, void *ctx, float *p, const float *dp, int n)
{
    for (int i = 0; i < n; i++) {
        float keep = p[i];
        const float h = 1e-3f;
        p[i] = keep + h;
        double up = value(p, ctx);
        p[i] = keep - h;
        double down = value(p, ctx);
        p[i] = keep;
        double numeric = (up - down) / (2.0 * h);
        ck_assert_msg(fabs(numeric - dp[i]) < 1e-3 * (fabs(numeric) + 1e-2),
                      "element %d: analytic %g, numeric %g", i, dp[i], numeric);
    }
}

typedef struct {
    size_t B, K;
    float w;
    double *cov;
    const float *m;
} code_term_ctx;

static double decorrelation_value(float *p, void *ctx)
{
    code_term_ctx *c = ctx;
    return hash_decorrelation(NULL, p, c->B, c->K, c->w, c->cov);
}

static double neighbour_pull_value(float *p, void *ctx)
{
    code_term_ctx *c = ctx;
    return hash_neighbour_pull(NULL, p, c->m, c->B, c->K, c->w);
}

static double consistency_value(float *p, void *ctx)
{
    code_term_ctx *c = ctx;
    return hash_consistency(NULL, p, c->m, c->B, c->K, c->w);
}

/* Finite-difference check of the bit decorrelation term's gradient, and
 * its value on hand-made batches: independent bits cost 0, two copies of
 * one balanced saturated bit cost weight * 16 * 2 * (1/4)^2 / (K (K-1)). */
START_TEST(decorrelation_gradient_matches_finite_differences)
{
    enum { B = 7, K = 5 };
    sh_rng rng;
    rng_seed(&rng, 41);
    float p[B * K], dp[B * K];
    double cov[K * K];
    for (int i = 0; i < B * K; i++)
        p[i] = 0.05f + 0.9f * rng_uniform(&rng);
    memset(dp, 0, sizeof dp);
    const float w = 1.7f;
    double v = hash_decorrelation(dp, p, B, K, w, cov);
    ck_assert(v > 0);
    code_term_ctx ctx = { B, K, w, cov, NULL };
    assert_gradient(decorrelation_value, &ctx, p, dp, B * K);
    /* hand-made: bits 0 and 1 identical (0,1,0,1), bits 2 and 3 a balanced
     * design independent of them and of each other */
    float q[4 * 4] = { 0, 0, 0, 0,   1, 1, 0, 1,   0, 0, 1, 1,   1, 1, 1, 0 };
    double val = hash_decorrelation(NULL, q, 4, 4, 1.0f, cov);
    ck_assert_msg(fabs(val - 16.0 * 2 * (1.0 / 16) / 12.0) < 1e-9, "value %g", val);
    ck_assert(hash_decorrelation(NULL, q, 1, 4, 1.0f, cov) == 0.0);
    ck_assert(hash_decorrelation(NULL, q, 4, 4, 0.0f, cov) == 0.0);
}
END_TEST

/* Finite-difference check of the neighbour pull's gradient (m constant),
 * and its value: rows equal to saturated neighbours cost 0, opposite ones
 * weight. */
START_TEST(neighbour_pull_gradient_matches_finite_differences)
{
    enum { B = 6, K = 4 };
    sh_rng rng;
    rng_seed(&rng, 43);
    float p[B * K], m[B * K], dp[B * K];
    for (int i = 0; i < B * K; i++) {
        p[i] = 0.05f + 0.9f * rng_uniform(&rng);
        m[i] = rng_uniform(&rng);
    }
    memset(dp, 0, sizeof dp);
    const float w = 2.5f;
    double v = hash_neighbour_pull(dp, p, m, B, K, w);
    ck_assert(v > 0 && v < w);
    code_term_ctx ctx = { B, K, w, NULL, m };
    assert_gradient(neighbour_pull_value, &ctx, p, dp, B * K);
    float a[4] = { 0, 1, 1, 0 }, b[4] = { 1, 0, 0, 1 };
    ck_assert(hash_neighbour_pull(NULL, a, a, 1, 4, 3.0f) == 0.0);
    ck_assert(fabs(hash_neighbour_pull(NULL, a, b, 1, 4, 3.0f) - 3.0) < 1e-12);
    ck_assert(hash_neighbour_pull(NULL, a, b, 0, 4, 3.0f) == 0.0);
}
END_TEST

/* Finite-difference check of the consistency term's gradient (the clean
 * probabilities constant), and its value: equal rows cost 0 whether
 * saturated or not, opposite saturated ones weight; the gradient points
 * away from the clean value (a descent step moves towards it). */
START_TEST(consistency_gradient_matches_finite_differences)
{
    enum { B = 6, K = 5 };
    sh_rng rng;
    rng_seed(&rng, 53);
    float p[B * K], clean[B * K], dp[B * K];
    for (int i = 0; i < B * K; i++) {
        p[i] = 0.05f + 0.9f * rng_uniform(&rng);
        clean[i] = rng_uniform(&rng);
    }
    memset(dp, 0, sizeof dp);
    const float w = 2.5f;
    double v = hash_consistency(dp, p, clean, B, K, w);
    ck_assert(v > 0 && v < w);
    code_term_ctx ctx = { B, K, w, NULL, clean };
    assert_gradient(consistency_value, &ctx, p, dp, B * K);
    for (int i = 0; i < B * K; i++)
        ck_assert(p[i] > clean[i] ? dp[i] > 0 : dp[i] <= 0);
    float a[4] = { 0, 1, 1, 0 }, b[4] = { 1, 0, 0, 1 }, half[4] = { 0.5f, 0.5f, 0.3f, 0.7f };
    ck_assert(hash_consistency(NULL, a, a, 1, 4, 3.0f) == 0.0);
    ck_assert(hash_consistency(NULL, half, half, 1, 4, 3.0f) == 0.0);
    ck_assert(fabs(hash_consistency(NULL, a, b, 1, 4, 3.0f) - 3.0) < 1e-12);
    ck_assert(hash_consistency(NULL, a, b, 0, 4, 3.0f) == 0.0);
}
END_TEST

/* The serialised model of a hasher trained on c with recipe o; *len its
 * size (free the result). */
static uint8_t *tiny_model_bytes(const tiny_corpus *c, const hash_train_opts *o, size_t *len)
{
    sh_config cfg;
    tiny_config(&cfg, SH_ENCODER_AE, 16);
    sh_hasher *h = NULL;
    char err[256] = "";
    ck_assert_msg(hasher_train_docs(&cfg, c->docs, N_DOCS, o, &h, NULL, err, sizeof err) == 0,
                  "%s", err);
    mf_writer *w = NULL;
    uint8_t *buf = NULL;
    ck_assert_int_eq(mf_writer_new(MF_KIND_HASHER, &w), 0);
    ck_assert_int_eq(hasher_write(h, w), 0);
    ck_assert_int_eq(mf_writer_finish(w, &buf, len), 0);
    mf_writer_free(w);
    hasher_free(h);
    return buf;
}

/* The consistency term is on by default and applies only from
 * consistency_min_docs training documents and consistency_min_bits code
 * bits on: below either the model is byte for byte the one trained
 * without it, at or above both a different one. Its target is the clean
 * batch under the current weights: without corruption the two agree and
 * the model is byte for byte the one trained without the term (a target
 * encoded at the start of the epoch would differ from the second batch
 * on and change the model). */
START_TEST(consistency_applies_from_min_docs)
{
    tiny_corpus c;
    tiny_make(&c, 17);
    sh_config cfg;
    tiny_config(&cfg, SH_ENCODER_AE, 16);
    hash_train_opts o;
    hash_train_opts_from_config(&o, &cfg);
    ck_assert_double_eq(o.consistency, 5.0);
    ck_assert_uint_eq(o.consistency_min_docs, 1000);
    ck_assert_int_eq(o.consistency_min_bits, 64);
    o.consistency_min_bits = 0; /* the tiny corpus trains 16-bit codes */
    size_t len_off, len_small, len_on;
    o.consistency = 0.0;
    uint8_t *off = tiny_model_bytes(&c, &o, &len_off);
    o.consistency = 1.0;
    uint8_t *small = tiny_model_bytes(&c, &o, &len_small); /* 64 documents < 1000 */
    o.consistency_min_docs = N_DOCS;
    uint8_t *on = tiny_model_bytes(&c, &o, &len_on);
    ck_assert_uint_eq(len_off, len_small);
    ck_assert_msg(memcmp(off, small, len_off) == 0, "the pull ran below consistency_min_docs");
    ck_assert_msg(len_on != len_off || memcmp(off, on, len_off) != 0,
                  "the pull did not run at consistency_min_docs");
    /* no corruption: the corrupted batch is the clean one, the term 0 */
    hash_train_opts plain = o;
    plain.drop_rate = plain.sub_rate = 0.0;
    plain.consistency = 0.0;
    plain.decoder_warmup = 1; /* both through the code-term loop */
    size_t len_plain, len_plain_on;
    uint8_t *plain_off = tiny_model_bytes(&c, &plain, &len_plain);
    plain.consistency = 5.0;
    uint8_t *plain_on = tiny_model_bytes(&c, &plain, &len_plain_on);
    ck_assert_uint_eq(len_plain, len_plain_on);
    ck_assert_msg(memcmp(plain_off, plain_on, len_plain) == 0,
                  "the consistency term moved an uncorrupted model");
    free(plain_off);
    free(plain_on);
    /* enough documents, but 16-bit codes are below consistency_min_bits */
    o.consistency_min_bits = 32;
    uint8_t *short_codes = tiny_model_bytes(&c, &o, &len_small);
    ck_assert_uint_eq(len_off, len_small);
    ck_assert_msg(memcmp(off, short_codes, len_off) == 0,
                  "the pull ran on codes shorter than consistency_min_bits");
    free(short_codes);
    char err[256];
    ck_assert_int_eq(hash_train_opts_set(&o, "consistency_min_bits=64", err, sizeof err), 0);
    ck_assert_int_eq(o.consistency_min_bits, 64);
    ck_assert_int_eq(hash_train_opts_set(&o, "consistency_min_bits=130", err, sizeof err),
                     SH_EINVAL);
    ck_assert_int_eq(hash_train_opts_set(&o, "consistency_min_docs=5000", err, sizeof err), 0);
    ck_assert_uint_eq(o.consistency_min_docs, 5000);
    ck_assert_int_eq(hash_train_opts_set(&o, "consistency_min_docs=2.5", err, sizeof err),
                     SH_EINVAL);
    free(off);
    free(small);
    free(on);
    tiny_free(&c);
}
END_TEST

static double margin_value(float *p, void *ctx)
{
    code_term_ctx *c = ctx;
    return hash_margin(NULL, p, c->B, c->K, c->w);
}

/* Finite-difference check of the margin term's gradient, and its value:
 * saturated bits cost 0, bits at 0.5 cost weight, and the gradient
 * points towards 0.5 (so a descent step moves away from it); the option
 * parses and refuses a negative weight. */
START_TEST(margin_gradient_matches_finite_differences)
{
    enum { B = 5, K = 6 };
    sh_rng rng;
    rng_seed(&rng, 47);
    float p[B * K], dp[B * K];
    for (int i = 0; i < B * K; i++)
        p[i] = 0.02f + 0.96f * rng_uniform(&rng);
    memset(dp, 0, sizeof dp);
    const float w = 1.3f;
    double v = hash_margin(dp, p, B, K, w);
    ck_assert(v > 0 && v < w);
    code_term_ctx ctx = { B, K, w, NULL, NULL };
    assert_gradient(margin_value, &ctx, p, dp, B * K);
    for (int i = 0; i < B * K; i++)
        ck_assert(p[i] < 0.5f ? dp[i] > 0 : dp[i] < 0);
    float sat[4] = { 0, 1, 1, 0 }, half[4] = { 0.5f, 0.5f, 0.5f, 0.5f };
    ck_assert(hash_margin(NULL, sat, 1, 4, 3.0f) == 0.0);
    ck_assert(fabs(hash_margin(NULL, half, 1, 4, 3.0f) - 3.0) < 1e-12);
    ck_assert(hash_margin(NULL, half, 0, 4, 3.0f) == 0.0);
    hash_train_opts o;
    memset(&o, 0, sizeof o);
    char err[256];
    ck_assert_int_eq(hash_train_opts_set(&o, "margin=0.25", err, sizeof err), 0);
    ck_assert(o.margin == 0.25);
    ck_assert_int_eq(hash_train_opts_set(&o, "margin=-1", err, sizeof err), SH_EINVAL);
    ck_assert(o.margin == 0.25);
}
END_TEST

/* A collection in memory without reading files. */
static void collection_of(hash_collection *coll, const tiny_corpus *c, const corpus_split *split,
                          int with_labels)
{
    memset(coll, 0, sizeof(*coll));
    ck_assert_int_eq(metrics_labels_init(&coll->labels), 0);
    ck_assert_int_eq(text_strtab_init(&coll->label_names), 0);
    coll->docs = malloc(N_DOCS * sizeof(hasher_doc));
    coll->ids = malloc(N_DOCS * sizeof(char *));
    coll->split = malloc(N_DOCS * sizeof(corpus_split));
    for (int d = 0; d < N_DOCS; d++) {
        coll->docs[d] = (hasher_doc){ strdup(c->docs[d].text), c->docs[d].len };
        char id[16];
        snprintf(id, sizeof id, "doc%d", d);
        coll->ids[d] = strdup(id);
        coll->split[d] = split[d];
        uint32_t label = (uint32_t)c->label[d];
        if (with_labels) /* as hash_collection_load: no label at all, an empty list */
            ck_assert_int_eq(metrics_labels_append(&coll->labels, &label, 1), 0);
        coll->labelled += with_labels;
    }
    coll->n = N_DOCS;
}

START_TEST(eval_needs_labels_and_both_splits)
{
    tiny_corpus c;
    tiny_make(&c, 8);
    sh_config cfg;
    tiny_config(&cfg, SH_ENCODER_LSH, 32);
    corpus_split split[N_DOCS];
    hash_collection coll;
    hash_eval_data data;
    char err[512];

    for (int d = 0; d < N_DOCS; d++)
        split[d] = d % 5 == 0 ? CORPUS_SPLIT_TEST : CORPUS_SPLIT_TRAIN;
    collection_of(&coll, &c, split, 0);
    ck_assert_int_eq(hash_eval_data_init(&data, &coll, &cfg, 1, err, sizeof err), SH_EINPUT);
    ck_assert_ptr_nonnull(strstr(err, "labels"));
    hash_collection_free(&coll);

    for (int d = 0; d < N_DOCS; d++)
        split[d] = CORPUS_SPLIT_TEST;
    collection_of(&coll, &c, split, 1);
    ck_assert_int_eq(hash_eval_data_init(&data, &coll, &cfg, 1, err, sizeof err), SH_EEMPTY);
    ck_assert_ptr_nonnull(strstr(err, "train"));
    hash_collection_free(&coll);

    /* and the happy path: LSH and the cosine reference on the same split */
    for (int d = 0; d < N_DOCS; d++)
        split[d] = d % 5 == 0 ? CORPUS_SPLIT_TEST : CORPUS_SPLIT_TRAIN;
    collection_of(&coll, &c, split, 1);
    ck_assert_int_eq(hash_eval_data_init(&data, &coll, &cfg, 1, err, sizeof err), 0);
    ck_assert_uint_eq(data.train.rows, N_DOCS - 13); /* d % 5 == 0 for 13 of 64 */
    ck_assert_uint_eq(data.test.rows, 13);
    hash_eval_result cos, lsh;
    ck_assert_int_eq(hash_eval_cosine(&data, 1, &cos), 0);
    /* every tf-idf neighbour within a topic beats any across: P@10 is 1 */
    ck_assert_double_ge(cos.p_at_10, 0.99);
    ck_assert_int_eq(hash_eval_encoder(&data, &cfg, NULL, &lsh, NULL, err, sizeof err), 0);
    ck_assert_int_eq(lsh.bits, 32);
    ck_assert_double_gt(lsh.p_at_10, 0.25);
    ck_assert_double_le(lsh.p_at_10, 1.0);
    /* another labelling of the same documents: every label the same, so
     * every result is relevant; measured on the fitted hasher */
    hash_collection one;
    tiny_corpus same = c;
    for (int d = 0; d < N_DOCS; d++)
        same.label[d] = 0;
    collection_of(&one, &same, split, 1);
    sh_hasher *h = NULL;
    hash_eval_result again, all;
    ck_assert_int_eq(hash_eval_encoder(&data, &cfg, NULL, &again, &h, err, sizeof err), 0);
    ck_assert_double_eq(again.p_at_10, lsh.p_at_10);
    ck_assert_int_eq(hash_eval_data_relabel(&data, &one), 0);
    ck_assert_int_eq(hash_eval_hasher(&data, h, 1, &all, err, sizeof err), 0);
    ck_assert_double_eq(all.p_at_10, 1.0);
    ck_assert_double_eq(all.p_at_100, 1.0);
    ck_assert_int_eq(hash_eval_data_relabel(&data, &coll), 0);
    ck_assert_int_eq(hash_eval_hasher(&data, h, 1, &all, err, sizeof err), 0);
    ck_assert_double_eq(all.p_at_10, lsh.p_at_10);
    hasher_free(h);
    hash_collection_free(&one);
    hash_eval_data_free(&data);
    hash_collection_free(&coll);
    tiny_free(&c);
}
END_TEST

Suite *hasher_suite(void)
{
    Suite *s = suite_create("hasher");
    TCase *core = tcase_create("core");
    tcase_set_timeout(core, 120);
    tcase_add_test(core, ae_codes_rank_same_topic_first);
    tcase_add_test(core, ae_training_is_deterministic);
    tcase_add_test(core, save_load_gives_identical_codes);
    tcase_add_test(core, simhash_and_lsh_match_baseline_hash);
    tcase_add_test(core, neighbours_match_brute_force);
    tcase_add_test(core, pca_neighbours_are_centred_cosine_neighbours);
    tcase_add_test(core, sizes_adapt_to_the_collection);
    tcase_add_test(core, recipe_options_parse);
    tcase_add_test(core, denoising_and_neighbours_train);
    tcase_add_test(core, threshold_window_finds_the_gap);
    tcase_add_test(core, saturated_logits_still_split);
    tcase_add_test(core, version_1_models_keep_their_codes);
    tcase_add_test(core, itq_init_starts_at_itq_codes);
    tcase_add_test(core, auto_start_keeps_the_better_validation);
    tcase_add_test(core, auto_random_run_stops_when_it_trails_itq_codes);
    tcase_add_test(core, decorrelation_gradient_matches_finite_differences);
    tcase_add_test(core, neighbour_pull_gradient_matches_finite_differences);
    tcase_add_test(core, margin_gradient_matches_finite_differences);
    tcase_add_test(core, consistency_gradient_matches_finite_differences);
    tcase_add_test(core, consistency_applies_from_min_docs);
    suite_add_tcase(s, core);
    TCase *limits = tcase_create("limits");
    tcase_set_timeout(limits, 60);
    tcase_add_test(limits, empty_corpus_is_an_error);
    tcase_add_test(limits, bad_code_widths_are_refused);
    tcase_add_test(limits, another_version_is_refused);
    tcase_add_test(limits, eval_needs_labels_and_both_splits);
    suite_add_tcase(s, limits);
    return s;
}
