/* config.h — semhash's configuration as a plain C struct.
 *
 * config.yaml at the top of the repository is the default configuration,
 * every key commented. config_defaults() fills the same values in code, so
 * a missing file or a missing key means "the default". The loader reads a
 * YAML mapping of sections (model, text, train, index, query) with libyaml
 * and checks every key: an unknown key, a wrong type or an out-of-range
 * value is SH_ECONFIG with a message "FILE:LINE: key SECTION.KEY: problem".
 *
 * The struct owns no heap memory: copy it freely, nothing to free.
 */
#ifndef SH_CONFIG_H
#define SH_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#define SH_MAX_HIDDEN_LAYERS 8
#define SH_PATH_MAX 4096

typedef enum {
    SH_ACT_LINEAR = 0,
    SH_ACT_RELU = 1,
    SH_ACT_SIGMOID = 2,
    SH_ACT_TANH = 3
} sh_activation;

typedef enum {
    SH_ENCODER_AE = 0,      /* the binary-code autoencoder */
    SH_ENCODER_SIMHASH = 1, /* Charikar's SimHash on tf-idf weighted terms */
    SH_ENCODER_LSH = 2,     /* random-hyperplane LSH on tf-idf */
    SH_ENCODER_ITQ = 3      /* PCA + iterative quantisation */
} sh_encoder_kind;

typedef enum {
    SH_OPT_ADAM = 0,
    SH_OPT_SGD = 1
} sh_optimizer_kind;

typedef enum {
    SH_START_RANDOM = 0, /* the encoder starts from random weights */
    SH_START_ITQ = 1,    /* the encoder starts as PCA + ITQ */
    SH_START_AUTO = 2,   /* random; ITQ too when random's validation is not above ITQ's
                            own codes', the better validation kept */
    SH_START_BOTH = 3    /* both starts, the better validation kept */
} sh_train_start;

typedef enum {
    SH_EMAIL_SUBJECT = 0,     /* of the headers, only the Subject's text is kept */
    SH_EMAIL_ALL_HEADERS = 1  /* every header's text is kept except the MIME Content-* ones */
} sh_email_headers;

typedef enum {
    SH_BINARY_SKIP = 0, /* skip binary documents with a warning */
    SH_BINARY_FAIL = 1  /* stop with an error */
} sh_binary_policy;

typedef struct {
    int code_bits;                      /* 8..128, multiple of 8; default 64 */
    int n_hidden;                       /* number of hidden layers, 0..8; default 2 */
    int hidden[SH_MAX_HIDDEN_LAYERS];   /* units per hidden layer, 1..100000; default 500, 500 */
    sh_activation activation;           /* hidden activation; default relu */
    sh_encoder_kind encoder;            /* default ae */
} sh_model_config;

typedef struct {
    int vocab_size;          /* max kept terms, 1..10000000; default 10000 */
    int min_df;              /* min documents a term must appear in, >= 1; default 2 */
    double max_df;           /* max fraction of documents, (0, 1]; default 0.5 */
    int stop_words;          /* bool: drop English stop words; default 1 */
    int stemming;            /* bool: Snowball English stemming; default 0 */
    int numbers;             /* bool: keep tokens made only of digits; default 0 */
    int min_token_len;       /* in code points, 1..100; default 2 */
    int max_token_len;       /* in code points, min_token_len..1000; default 30 */
    int email;               /* bool: mail-aware input (headers as email_headers says,
                                HTML stripped, quoted-printable decoded); default 1 */
    sh_email_headers email_headers; /* which headers' text a mail keeps; default subject */
    sh_binary_policy on_binary; /* documents with NUL bytes; default skip */
} sh_text_config;

typedef struct {
    int epochs;              /* 1..100000; default 30 */
    int batch_size;          /* 1..65536; default 128 */
    double learning_rate;    /* (0, 10]; default 0.001 */
    uint64_t seed;           /* any; default 1 */
    int threads;             /* 1..256, or 0 = all cores; default 0 */
    sh_optimizer_kind optimizer; /* default adam */
    double weight_decay;     /* >= 0; default 0 */
    double validation_fraction; /* [0, 0.5]; default 0.1 */
    int patience;            /* epochs without improvement before stopping, 0 = off; default 5 */
    double max_seconds;      /* wall-time cap on training, 0 = none; default 0 */
    sh_train_start start;    /* the encoder's starting point; default auto */
} sh_train_config;

typedef struct {
    char path[SH_PATH_MAX];  /* index directory; default "semhash.idx" */
    int map_size_mb;         /* initial LMDB map size in MiB, 1..16777216; default 1024 */
    int mih_substrings;      /* multi-index substrings, 0 = automatic, 1..16; default 0 */
    int batch_size;          /* documents per write transaction, 1..1000000; default 1000 */
    int store_exact_duplicates; /* bool; default 1 */
} sh_index_config;

typedef struct {
    int radius;              /* Hamming radius, 0..128; default 3 */
    int k;                   /* results for top-k queries, 1..1000000; default 10 */
    int near_dup_radius;     /* candidate radius of near-duplicate queries (query
                                --near-dup, dups), 0..128, capped at the index's
                                code width when used; default 10 */
} sh_query_config;

typedef struct {
    sh_model_config model;
    sh_text_config text;
    sh_train_config train;
    sh_index_config index;
    sh_query_config query;
} sh_config;

/* Fills *cfg with the defaults documented above (the same values as
 * config.yaml). Cannot fail. */
void config_defaults(sh_config *cfg);

/* Reads the YAML file at path on top of *cfg (keys absent from the file
 * keep their current value; call config_defaults first). Returns 0; an
 * errno value if the file cannot be read; SH_ECONFIG for a syntax error,
 * an unknown section or key, a wrong type or an out-of-range value, with
 * "PATH:LINE: ..." in err. On error *cfg may be partly updated: callers
 * that need the old value keep a copy. An empty file (or one of comments
 * only) changes nothing. Each value is checked on its own here; rules
 * between keys (min_token_len <= max_token_len, ...) are config_validate's,
 * to run once everything (file and overrides) is applied. Files over 1 MiB,
 * directories (EISDIR) and several YAML documents in one file are refused. */
int config_load(sh_config *cfg, const char *path, char *err, size_t err_len);

/* The same for YAML text in memory (e.g. the configuration stored in a
 * model or an index by config_to_yaml); label stands for the path in
 * messages ("LABEL:LINE: ..."). text need not be NUL-terminated. Returns
 * 0, SH_EINVAL, SH_ENOMEM or SH_ECONFIG. */
int config_load_buffer(sh_config *cfg, const char *text, size_t len, const char *label,
                       char *err, size_t err_len);

/* Applies one override "section.key=value" (the CLI's --set), with the
 * same type and range checks as the file. model.hidden takes "[256, 128]",
 * "256,128" or "[]". Returns 0 or SH_ECONFIG with a message
 * "--set SECTION.KEY: problem"; *cfg is unchanged on error. */
int config_set(sh_config *cfg, const char *assignment, char *err, size_t err_len);

/* Checks every range and cross-field rule: min_token_len <=
 * max_token_len, query.radius <= code_bits, index.mih_substrings <=
 * code_bits / 4. Returns 0 or SH_ECONFIG with "key SECTION.KEY: problem"
 * for the first bad key. */
int config_validate(const sh_config *cfg, char *err, size_t err_len);

/* Writes cfg as YAML (all keys) to buf, NUL-terminated. Returns the length
 * it needed (excluding NUL), like snprintf (buf may be NULL with buf_len
 * 0 to measure). Used to store the creation configuration in models and
 * indexes. The text loads back (config_load) to the same values, doubles
 * bit for bit; index.path is double-quoted with escapes and must be valid
 * UTF-8 to load back. Cannot fail. */
size_t config_to_yaml(const sh_config *cfg, char *buf, size_t buf_len);

#endif
