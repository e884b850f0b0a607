/* test_config.c — defaults against the repository's config.yaml, file
 * loading, --set overrides, every kind of bad input (with line and key in
 * the message), validation, the YAML round trip, and cli_config_resolve. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_config.h"
#include "config.h"
#include "rng.h"
#include "sh_error.h"

static char tmpdir[256];

static void make_tmpdir(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/sh_cfg_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void remove_tmpdir(void)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    ck_assert_int_eq(system(cmd), 0);
}

/* Writes text to tmpdir/name; the full path goes to path. */
static void write_file(const char *name, const char *text, char *path, size_t path_len)
{
    snprintf(path, path_len, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
}

/* A struct with every byte set to a value no key has by default, so that a
 * key missing from a file stays visibly wrong. */
static void poison(sh_config *cfg)
{
    memset(cfg, 0x55, sizeof *cfg);
    cfg->index.path[SH_PATH_MAX - 1] = '\0';
}

static char *yaml_of(const sh_config *cfg)
{
    size_t need = config_to_yaml(cfg, NULL, 0);
    char *buf = malloc(need + 1);
    ck_assert_ptr_nonnull(buf);
    ck_assert_uint_eq(config_to_yaml(cfg, buf, need + 1), need);
    ck_assert_uint_eq(strlen(buf), need);
    return buf;
}

/* Field-by-field equality (the struct has padding, so no memcmp). */
static void assert_same_config(const sh_config *a, const sh_config *b)
{
    ck_assert_int_eq(a->model.code_bits, b->model.code_bits);
    ck_assert_int_eq(a->model.n_hidden, b->model.n_hidden);
    for (int i = 0; i < a->model.n_hidden; i++)
        ck_assert_int_eq(a->model.hidden[i], b->model.hidden[i]);
    ck_assert_int_eq(a->model.activation, b->model.activation);
    ck_assert_int_eq(a->model.encoder, b->model.encoder);
    ck_assert_int_eq(a->text.vocab_size, b->text.vocab_size);
    ck_assert_int_eq(a->text.min_df, b->text.min_df);
    ck_assert(a->text.max_df == b->text.max_df);
    ck_assert_int_eq(a->text.stop_words, b->text.stop_words);
    ck_assert_int_eq(a->text.stemming, b->text.stemming);
    ck_assert_int_eq(a->text.numbers, b->text.numbers);
    ck_assert_int_eq(a->text.min_token_len, b->text.min_token_len);
    ck_assert_int_eq(a->text.max_token_len, b->text.max_token_len);
    ck_assert_int_eq(a->text.email, b->text.email);
    ck_assert_int_eq(a->text.email_headers, b->text.email_headers);
    ck_assert_int_eq(a->text.on_binary, b->text.on_binary);
    ck_assert_int_eq(a->train.epochs, b->train.epochs);
    ck_assert_int_eq(a->train.batch_size, b->train.batch_size);
    ck_assert(a->train.learning_rate == b->train.learning_rate);
    ck_assert(a->train.seed == b->train.seed);
    ck_assert_int_eq(a->train.threads, b->train.threads);
    ck_assert_int_eq(a->train.optimizer, b->train.optimizer);
    ck_assert(a->train.weight_decay == b->train.weight_decay);
    ck_assert(a->train.validation_fraction == b->train.validation_fraction);
    ck_assert_int_eq(a->train.patience, b->train.patience);
    ck_assert(a->train.max_seconds == b->train.max_seconds);
    ck_assert_int_eq(a->train.start, b->train.start);
    ck_assert_str_eq(a->index.path, b->index.path);
    ck_assert_int_eq(a->index.map_size_mb, b->index.map_size_mb);
    ck_assert_int_eq(a->index.mih_substrings, b->index.mih_substrings);
    ck_assert_int_eq(a->index.batch_size, b->index.batch_size);
    ck_assert_int_eq(a->index.store_exact_duplicates, b->index.store_exact_duplicates);
    ck_assert_int_eq(a->query.radius, b->query.radius);
    ck_assert_int_eq(a->query.k, b->query.k);
    ck_assert_int_eq(a->query.near_dup_radius, b->query.near_dup_radius);
}

START_TEST(defaults_equal_the_repository_config_yaml)
{
    const char *src = getenv("SEMHASH_SRC");
    ck_assert_msg(src != NULL, "SEMHASH_SRC is not set (run through make test)");
    char path[4096], err[512];
    snprintf(path, sizeof path, "%s/config.yaml", src);

    sh_config defaults, loaded;
    config_defaults(&defaults);
    ck_assert_int_eq(config_validate(&defaults, err, sizeof err), 0);
    poison(&loaded);
    int rc = config_load(&loaded, path, err, sizeof err);
    ck_assert_msg(rc == 0, "%s", err);
    /* Every key is in the file (nothing of the poison is left) and every
     * value equals the built-in default. */
    assert_same_config(&loaded, &defaults);
    char *a = yaml_of(&loaded), *b = yaml_of(&defaults);
    ck_assert_str_eq(a, b);
    free(a);
    free(b);
    /* A few values spelled out, so a wrong default in both places shows. */
    ck_assert_int_eq(defaults.model.code_bits, 64);
    ck_assert_int_eq(defaults.model.n_hidden, 2);
    ck_assert_int_eq(defaults.model.hidden[1], 500);
    ck_assert_str_eq(defaults.index.path, "semhash.idx");
    ck_assert(defaults.train.learning_rate == 0.001);
}
END_TEST

START_TEST(a_file_overrides_only_its_keys)
{
    make_tmpdir();
    char path[512], err[512];
    write_file("part.yaml",
               "# only some keys\n"
               "model:\n"
               "  code_bits: 32\n"
               "  hidden:\n"
               "    - 256\n"
               "    - 128\n"
               "    - 64\n"
               "train:\n"
               "  seed: 18446744073709551615\n"
               "  learning_rate: 1e-2\n"
               "  optimizer: sgd\n"
               "text:\n"
               "  stemming: yes\n"
               "  email: No\n"
               "  email_headers: all\n"
               "index:\n"
               "  path: 'my index: \"x\"'\n"
               "query:\n",
               path, sizeof path);
    sh_config cfg, expected;
    config_defaults(&cfg);
    config_defaults(&expected);
    ck_assert_int_eq(config_load(&cfg, path, err, sizeof err), 0);
    expected.model.code_bits = 32;
    expected.model.n_hidden = 3;
    expected.model.hidden[0] = 256;
    expected.model.hidden[1] = 128;
    expected.model.hidden[2] = 64;
    expected.train.seed = UINT64_MAX;
    expected.train.learning_rate = 0.01;
    expected.train.optimizer = SH_OPT_SGD;
    expected.text.stemming = 1;
    expected.text.email = 0;
    expected.text.email_headers = SH_EMAIL_ALL_HEADERS;
    snprintf(expected.index.path, sizeof expected.index.path, "my index: \"x\"");
    assert_same_config(&cfg, &expected);

    /* An empty file (or only comments) means all defaults. */
    write_file("empty.yaml", "", path, sizeof path);
    config_defaults(&cfg);
    ck_assert_int_eq(config_load(&cfg, path, err, sizeof err), 0);
    config_defaults(&expected);
    assert_same_config(&cfg, &expected);
    write_file("comments.yaml", "# nothing\n\n# here\n", path, sizeof path);
    ck_assert_int_eq(config_load(&cfg, path, err, sizeof err), 0);
    assert_same_config(&cfg, &expected);
    remove_tmpdir();
}
END_TEST

START_TEST(set_overrides_keys)
{
    sh_config cfg, expected;
    char err[512];
    config_defaults(&cfg);
    config_defaults(&expected);
    ck_assert_int_eq(config_set(&cfg, "train.epochs=20", err, sizeof err), 0);
    expected.train.epochs = 20;
    ck_assert_int_eq(config_set(&cfg, " model.hidden = [256, 128] ", err, sizeof err), 0);
    expected.model.n_hidden = 2;
    expected.model.hidden[0] = 256;
    expected.model.hidden[1] = 128;
    assert_same_config(&cfg, &expected);
    ck_assert_int_eq(config_set(&cfg, "model.hidden=64,32,16", err, sizeof err), 0);
    ck_assert_int_eq(cfg.model.n_hidden, 3);
    ck_assert_int_eq(cfg.model.hidden[2], 16);
    ck_assert_int_eq(config_set(&cfg, "model.hidden=[]", err, sizeof err), 0);
    ck_assert_int_eq(cfg.model.n_hidden, 0);
    ck_assert_int_eq(config_set(&cfg, "model.hidden=7", err, sizeof err), 0);
    ck_assert_int_eq(cfg.model.n_hidden, 1);
    ck_assert_int_eq(cfg.model.hidden[0], 7);
    ck_assert_int_eq(config_set(&cfg, "model.activation=tanh", err, sizeof err), 0);
    ck_assert_int_eq(cfg.model.activation, SH_ACT_TANH);
    ck_assert_int_eq(config_set(&cfg, "model.encoder=simhash", err, sizeof err), 0);
    ck_assert_int_eq(cfg.model.encoder, SH_ENCODER_SIMHASH);
    ck_assert_int_eq(config_set(&cfg, "text.on_binary=fail", err, sizeof err), 0);
    ck_assert_int_eq(cfg.text.on_binary, SH_BINARY_FAIL);
    ck_assert_int_eq(config_set(&cfg, "text.stop_words=false", err, sizeof err), 0);
    ck_assert_int_eq(cfg.text.stop_words, 0);
    ck_assert_int_eq(config_set(&cfg, "text.max_df=1", err, sizeof err), 0);
    ck_assert(cfg.text.max_df == 1.0);
    ck_assert_int_eq(config_set(&cfg, "train.seed=12345678901234567", err, sizeof err), 0);
    ck_assert(cfg.train.seed == 12345678901234567ull);
    ck_assert_int_eq(config_set(&cfg, "index.path=/tmp/a=b", err, sizeof err), 0);
    ck_assert_str_eq(cfg.index.path, "/tmp/a=b");
    ck_assert_int_eq(config_set(&cfg, "query.radius=0", err, sizeof err), 0);
    ck_assert_int_eq(cfg.query.radius, 0);
}
END_TEST

typedef struct {
    const char *yaml;
    const char *expect; /* substring expected after "PATH" in the message */
} bad_case;

START_TEST(bad_files_name_line_and_key)
{
    static const bad_case cases[] = {
        { "model:\n  code_bits: 64\ntrain:\n  epochs: abc\n",
          ":4: key train.epochs: expected an integer, got 'abc'" },
        { "train:\n  epochs: 20\nmodle:\n  code_bits: 8\n", ":3: unknown section 'modle'" },
        { "train:\n  epochs: 20\n  epoch: 3\n", ":3: unknown key train.epoch (keys of train: " },
        { "train:\n  epochs:\n    a: 1\n", ":3: key train.epochs: expected an integer, got a mapping" },
        { "query:\n  k: [1, 2]\n", ":2: key query.k: expected an integer, got a sequence" },
        { "model:\n  hidden: 500\n", ":2: key model.hidden: expected a list of integers" },
        { "model:\n  hidden: [500, x]\n", ":2: key model.hidden: expected an integer layer size, got 'x'" },
        { "model:\n  hidden: [1,2,3,4,5,6,7,8,9]\n", ":2: key model.hidden: too many layers" },
        { "model:\n  hidden: [0]\n", ":2: key model.hidden: layer 1: 0 units is out of range" },
        { "model:\n  code_bits: 12\n", ":2: key model.code_bits: 12 is not a multiple of 8" },
        { "model:\n  code_bits: 256\n", ":2: key model.code_bits: 256 is out of range (8..128)" },
        { "text:\n\n  max_df: 0\n", ":3: key text.max_df: 0 is out of range ((0, 1])" },
        { "train:\n  learning_rate: fast\n", ":2: key train.learning_rate: expected a number, got 'fast'" },
        { "train:\n  epochs: 99999999999999999999\n", ":2: key train.epochs: expected an integer" },
        { "train:\n  epochs: \"20\"\n", ":2: key train.epochs: expected an integer, got the quoted string '20'" },
        { "train:\n  seed: -1\n", ":2: key train.seed: expected an integer from 0" },
        { "train:\n  epochs:\n", ":2: key train.epochs: expected an integer, got no value" },
        { "text:\n  stemming: maybe\n", ":2: key text.stemming: expected true, false, yes or no, got 'maybe'" },
        { "model:\n  activation: gelu\n", ":2: key model.activation: expected one of linear|relu|sigmoid|tanh, got 'gelu'" },
        { "train:\n  epochs: 1\n  batch_size: 2\n  epochs: 3\n", ":4: duplicate key train.epochs (first given at line 2)" },
        { "train:\n  epochs: 1\nquery:\n  k: 2\ntrain:\n  seed: 3\n", ":5: duplicate section train (first given at line 1)" },
        { "train:\n  epochs: [1, 2\nquery:\n  k: 1\n", ": YAML syntax error: " },
        { "train:\n  epochs: 1\n   bad indent: 2\n", ":3: YAML syntax error: " },
        { "- model\n- train\n", ":1: expected a mapping of sections" },
        { "just a string\n", ":1: expected a mapping of sections" },
        { "train: 5\n", ":1: section train: expected a mapping of keys, got a scalar" },
        { "? [a]\n: 1\n", ":1: a section name must be a name, got a sequence" },
        { "train:\n  ? {a: 1}\n  : 1\n", ":2: section train: a key must be a name, got a mapping" },
        { "train:\n  epochs: 1\n---\nquery:\n  k: 1\n", ":4: a second YAML document" },
        { "index:\n  path: ''\n", ":2: key index.path: expected a path, got an empty value" },
    };
    make_tmpdir();
    char path[512], err[1024];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        write_file("bad.yaml", cases[i].yaml, path, sizeof path);
        sh_config cfg;
        config_defaults(&cfg);
        err[0] = '\0';
        int rc = config_load(&cfg, path, err, sizeof err);
        ck_assert_msg(rc == SH_ECONFIG, "case %zu: rc %d, message '%s'", i, rc, err);
        ck_assert_msg(strncmp(err, path, strlen(path)) == 0, "case %zu: '%s'", i, err);
        ck_assert_msg(strstr(err, cases[i].expect) != NULL,
                      "case %zu: got '%s', want '%s'", i, err, cases[i].expect);
    }
    /* The syntax error reports the line where libyaml found the problem. */
    write_file("bad.yaml", "train:\n  epochs: 1\n   bad indent: 2\n", path, sizeof path);
    sh_config cfg;
    config_defaults(&cfg);
    ck_assert_int_eq(config_load(&cfg, path, err, sizeof err), SH_ECONFIG);
    ck_assert(strstr(err, "mapping values are not allowed") != NULL ||
              strstr(err, "could not find") != NULL);

    /* A NUL byte (a binary file) is a syntax error on its own line. */
    snprintf(path, sizeof path, "%s/nul.yaml", tmpdir);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite("train:\n  epochs: 3\n\0junk", 1, 25, f), 25);
    ck_assert_int_eq(fclose(f), 0);
    ck_assert_int_eq(config_load(&cfg, path, err, sizeof err), SH_ECONFIG);
    ck_assert_msg(strstr(err, "nul.yaml:3: YAML syntax error") != NULL, "%s", err);

    /* A directory is not a file. */
    ck_assert_int_eq(config_load(&cfg, tmpdir, err, sizeof err), EISDIR);
    ck_assert(strncmp(err, tmpdir, strlen(tmpdir)) == 0);

    /* A missing file is errno with the path. */
    snprintf(path, sizeof path, "%s/none.yaml", tmpdir);
    ck_assert_int_eq(config_load(&cfg, path, err, sizeof err), ENOENT);
    ck_assert(strncmp(err, path, strlen(path)) == 0);
    remove_tmpdir();
}
END_TEST

START_TEST(bad_overrides_name_the_key)
{
    static const struct {
        const char *set;
        const char *expect;
    } cases[] = {
        { "train.epochs=abc", "--set train.epochs: expected an integer, got 'abc'" },
        { "train.epochs=0", "--set train.epochs: 0 is out of range (1..100000)" },
        { "train.epochs", "--set 'train.epochs': expected section.key=value" },
        { "epochs=3", "--set 'epochs=3': expected section.key=value" },
        { "trian.epochs=3", "--set trian.epochs: unknown section 'trian'" },
        { "train.epoch=3", "--set train.epoch: unknown key (keys of train: epochs, " },
        { "model.hidden=[1,2", "--set model.hidden: expected a list of integers" },
        { "model.hidden=1,,2", "--set model.hidden: expected an integer layer size, got ''" },
        { "model.hidden=1,2,3,4,5,6,7,8,9,10", "--set model.hidden: too many layers" },
        { "text.email=2", "--set text.email: expected true, false, yes or no, got '2'" },
        { "text.email_headers=from", "--set text.email_headers: expected one of subject|all, got 'from'" },
        { "train.validation_fraction=0.6", "--set train.validation_fraction: 0.6 is out of range ([0, 0.5])" },
        { "train.weight_decay=-1", "--set train.weight_decay: -1 is out of range (at least 0)" },
        { "train.max_seconds=nan", "--set train.max_seconds: nan is out of range" },
        { "train.threads=1.5", "--set train.threads: expected an integer, got '1.5'" },
        { "index.path=", "--set index.path: expected a path, got an empty value" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sh_config cfg, before;
        config_defaults(&cfg);
        before = cfg;
        char err[1024] = "";
        int rc = config_set(&cfg, cases[i].set, err, sizeof err);
        ck_assert_msg(rc == SH_ECONFIG, "case %zu: rc %d", i, rc);
        ck_assert_msg(strncmp(err, cases[i].expect, strlen(cases[i].expect)) == 0,
                      "case %zu: got '%s', want '%s'", i, err, cases[i].expect);
        assert_same_config(&cfg, &before); /* nothing changed */
    }
}
END_TEST

START_TEST(validate_checks_ranges_and_cross_fields)
{
    sh_config cfg;
    char err[512];
    config_defaults(&cfg);
    cfg.text.min_token_len = 40;
    ck_assert_int_eq(config_validate(&cfg, err, sizeof err), SH_ECONFIG);
    ck_assert(strstr(err, "text.max_token_len") != NULL);
    config_defaults(&cfg);
    cfg.model.code_bits = 16;
    cfg.query.radius = 17;
    ck_assert_int_eq(config_validate(&cfg, err, sizeof err), SH_ECONFIG);
    ck_assert(strstr(err, "query.radius") != NULL);
    config_defaults(&cfg);
    cfg.model.code_bits = 16;
    cfg.index.mih_substrings = 5;
    ck_assert_int_eq(config_validate(&cfg, err, sizeof err), SH_ECONFIG);
    ck_assert(strstr(err, "index.mih_substrings") != NULL);
    cfg.index.mih_substrings = 4;
    ck_assert_int_eq(config_validate(&cfg, err, sizeof err), 0);
    /* Values put in the struct directly get the same range checks. */
    config_defaults(&cfg);
    cfg.model.code_bits = 60;
    ck_assert_int_eq(config_validate(&cfg, err, sizeof err), SH_ECONFIG);
    ck_assert(strstr(err, "key model.code_bits: 60 is not a multiple of 8") != NULL);
    config_defaults(&cfg);
    cfg.model.n_hidden = 9;
    ck_assert_int_eq(config_validate(&cfg, err, sizeof err), SH_ECONFIG);
    ck_assert(strstr(err, "model.hidden") != NULL);
    config_defaults(&cfg);
    cfg.model.activation = (sh_activation)7;
    ck_assert_int_eq(config_validate(&cfg, err, sizeof err), SH_ECONFIG);
    ck_assert(strstr(err, "model.activation") != NULL);
    config_defaults(&cfg);
    cfg.train.learning_rate = 0;
    ck_assert_int_eq(config_validate(&cfg, err, sizeof err), SH_ECONFIG);
    ck_assert(strstr(err, "train.learning_rate") != NULL);
    config_defaults(&cfg);
    cfg.index.path[0] = '\0';
    ck_assert_int_eq(config_validate(&cfg, err, sizeof err), SH_ECONFIG);
    ck_assert(strstr(err, "index.path") != NULL);
}
END_TEST

/* A random valid configuration: every field drawn within its range. */
static void random_config(sh_rng *rng, sh_config *cfg)
{
    static const char *const paths[] = { "plain", "with space/and:colon", "q\"uo\\te",
                                         "#hash", "- dash", "tab\there", "yes", "0123",
                                         "ünïcödé/路径" };
    config_defaults(cfg);
    cfg->model.code_bits = 8 * (1 + (int)rng_below(rng, 16));
    cfg->model.n_hidden = (int)rng_below(rng, SH_MAX_HIDDEN_LAYERS + 1);
    for (int i = 0; i < cfg->model.n_hidden; i++)
        cfg->model.hidden[i] = 1 + (int)rng_below(rng, 100000);
    cfg->model.activation = (sh_activation)rng_below(rng, 4);
    cfg->model.encoder = (sh_encoder_kind)rng_below(rng, 4);
    cfg->text.vocab_size = 1 + (int)rng_below(rng, 10000000);
    cfg->text.min_df = 1 + (int)rng_below(rng, 1000);
    cfg->text.max_df = 1.0 - rng_uniform_double(rng) * 0.999;
    cfg->text.stop_words = (int)rng_below(rng, 2);
    cfg->text.stemming = (int)rng_below(rng, 2);
    cfg->text.numbers = (int)rng_below(rng, 2);
    cfg->text.min_token_len = 1 + (int)rng_below(rng, 100);
    cfg->text.max_token_len = cfg->text.min_token_len +
                               (int)rng_below(rng, (uint64_t)(1001 - cfg->text.min_token_len));
    cfg->text.email = (int)rng_below(rng, 2);
    cfg->text.email_headers = (sh_email_headers)rng_below(rng, 2);
    cfg->text.on_binary = (sh_binary_policy)rng_below(rng, 2);
    cfg->train.epochs = 1 + (int)rng_below(rng, 100000);
    cfg->train.batch_size = 1 + (int)rng_below(rng, 65536);
    cfg->train.learning_rate = 10.0 * (1.0 - rng_uniform_double(rng));
    cfg->train.seed = rng_u64(rng);
    cfg->train.threads = (int)rng_below(rng, 257);
    cfg->train.optimizer = (sh_optimizer_kind)rng_below(rng, 2);
    cfg->train.weight_decay = rng_uniform_double(rng) * 1e-3;
    cfg->train.validation_fraction = rng_uniform_double(rng) * 0.5;
    cfg->train.patience = (int)rng_below(rng, 100);
    cfg->train.max_seconds = rng_uniform_double(rng) * 1e5;
    cfg->train.start = (sh_train_start)rng_below(rng, 4);
    snprintf(cfg->index.path, sizeof cfg->index.path, "%s",
             paths[rng_below(rng, sizeof paths / sizeof paths[0])]);
    cfg->index.map_size_mb = 1 + (int)rng_below(rng, 16777216);
    int max_mih = cfg->model.code_bits / 4 < 16 ? cfg->model.code_bits / 4 : 16;
    cfg->index.mih_substrings = (int)rng_below(rng, (uint64_t)max_mih + 1);
    cfg->index.batch_size = 1 + (int)rng_below(rng, 1000000);
    cfg->index.store_exact_duplicates = (int)rng_below(rng, 2);
    cfg->query.radius = (int)rng_below(rng, (uint64_t)cfg->model.code_bits + 1);
    cfg->query.k = 1 + (int)rng_below(rng, 1000000);
    cfg->query.near_dup_radius = (int)rng_below(rng, 129);
}

START_TEST(to_yaml_loads_back_identically)
{
    make_tmpdir();
    sh_rng rng;
    rng_seed(&rng, 2024);
    char path[512], err[512];
    for (int trial = 0; trial < 200; trial++) {
        sh_config cfg, back;
        random_config(&rng, &cfg);
        ck_assert_msg(config_validate(&cfg, err, sizeof err) == 0, "%s", err);
        char *text = yaml_of(&cfg);
        write_file("round.yaml", text, path, sizeof path);
        poison(&back);
        int rc = config_load(&back, path, err, sizeof err);
        ck_assert_msg(rc == 0, "trial %d: %s\n%s", trial, err, text);
        assert_same_config(&back, &cfg);
        char *again = yaml_of(&back);
        ck_assert_str_eq(again, text);
        free(again);
        /* The same from memory, as an index reads its stored config. */
        poison(&back);
        rc = config_load_buffer(&back, text, strlen(text), "index config", err, sizeof err);
        ck_assert_msg(rc == 0, "trial %d: %s", trial, err);
        assert_same_config(&back, &cfg);
        free(text);
    }
    /* Buffer errors name the label and line; the text needs no NUL. */
    sh_config cfg2;
    config_defaults(&cfg2);
    const char bad[] = "train:\n  epochs: 0\nXXXX";
    ck_assert_int_eq(config_load_buffer(&cfg2, bad, sizeof bad - 5, "index config", err,
                                        sizeof err), SH_ECONFIG);
    ck_assert_msg(strncmp(err, "index config:2: key train.epochs: 0 is out of range", 51) == 0,
                  "%s", err);
    ck_assert_int_eq(config_load_buffer(&cfg2, NULL, 0, NULL, err, sizeof err), 0);

    /* snprintf-like contract: the needed length, a truncated NUL-ended
     * buffer when short. */
    sh_config cfg;
    config_defaults(&cfg);
    size_t need = config_to_yaml(&cfg, NULL, 0);
    char small[16];
    ck_assert_uint_eq(config_to_yaml(&cfg, small, sizeof small), need);
    ck_assert_uint_eq(strlen(small), sizeof small - 1);
    ck_assert(strncmp(small, "model:\n  code_b", 15) == 0);
    remove_tmpdir();
}
END_TEST

START_TEST(cli_resolve_reads_file_then_sets_then_validates)
{
    make_tmpdir();
    char cwd[4096], path[512], err[1024];
    ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
    ck_assert_int_eq(chdir(tmpdir), 0);

    sh_config cfg, expected;
    config_defaults(&expected);
    /* No -c and no ./config.yaml: the defaults. */
    poison(&cfg);
    ck_assert_int_eq(cli_config_resolve(NULL, NULL, 0, &cfg, err, sizeof err), 0);
    assert_same_config(&cfg, &expected);

    /* ./config.yaml is picked up; --set wins over the file, in order. */
    write_file("config.yaml", "train:\n  epochs: 7\n  patience: 2\n", path, sizeof path);
    const char *sets[] = { "train.patience=9", "query.k=3", "query.k=4" };
    ck_assert_int_eq(cli_config_resolve(NULL, sets, 3, &cfg, err, sizeof err), 0);
    expected.train.epochs = 7;
    expected.train.patience = 9;
    expected.query.k = 4;
    assert_same_config(&cfg, &expected);

    /* -c names another file; a missing -c file is an error. */
    write_file("other.yaml", "query:\n  radius: 5\n", path, sizeof path);
    ck_assert_int_eq(cli_config_resolve(path, NULL, 0, &cfg, err, sizeof err), 0);
    ck_assert_int_eq(cli_config_resolve("nothere.yaml", NULL, 0, &cfg, err, sizeof err),
                     ENOENT);
    ck_assert(strstr(err, "nothere.yaml") != NULL);
    ck_assert_int_eq(cfg.query.radius, 5);
    sh_config defaults;
    config_defaults(&defaults);
    ck_assert_int_eq(cfg.train.epochs, defaults.train.epochs); /* not the ./config.yaml's 7 */

    /* Errors leave *out unchanged and name the key. */
    const char *bad[] = { "train.epochs=-4" };
    ck_assert_int_eq(cli_config_resolve(path, bad, 1, &cfg, err, sizeof err), SH_ECONFIG);
    ck_assert(strstr(err, "train.epochs") != NULL);
    ck_assert_int_eq(cfg.query.radius, 5);
    const char *cross[] = { "text.min_token_len=50" };
    ck_assert_int_eq(cli_config_resolve(path, cross, 1, &cfg, err, sizeof err), SH_ECONFIG);
    ck_assert_msg(strstr(err, "other.yaml with --set: key text.max_token_len") != NULL, "%s", err);

    ck_assert_int_eq(chdir(cwd), 0);
    remove_tmpdir();
}
END_TEST

Suite *config_suite(void)
{
    Suite *s = suite_create("config");
    TCase *core = tcase_create("core");
    tcase_add_test(core, defaults_equal_the_repository_config_yaml);
    tcase_add_test(core, a_file_overrides_only_its_keys);
    tcase_add_test(core, set_overrides_keys);
    tcase_add_test(core, to_yaml_loads_back_identically);
    tcase_add_test(core, cli_resolve_reads_file_then_sets_then_validates);
    suite_add_tcase(s, core);
    TCase *limits = tcase_create("limits");
    tcase_add_test(limits, bad_files_name_line_and_key);
    tcase_add_test(limits, bad_overrides_name_the_key);
    tcase_add_test(limits, validate_checks_ranges_and_cross_fields);
    suite_add_tcase(s, limits);
    return s;
}
