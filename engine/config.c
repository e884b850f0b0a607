/* config.c — defaults, YAML loading, --set overrides, validation and YAML
 * output of the sh_config struct (see config.h).
 *
 * Every key is one row of the table `keys` below: section, name, type,
 * where it lives in the struct and its range. Loading a file, applying an
 * override, validating and writing YAML all walk that one table, so a key
 * added there is parsed, checked and written everywhere.
 *
 * Deliberately not here: finding the configuration file (cli_config.c
 * does that), environment variables, YAML features beyond mappings,
 * sequences of integers and scalars.
 */
#include "config.h"
#include "sh_error.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <yaml.h>

/* A configuration file larger than this is refused unread. */
#define CONFIG_MAX_BYTES (1 << 20)

/* ---- the table of keys ------------------------------------------------ */

typedef enum {
    KEY_INT,     /* int, range [min, max] */
    KEY_U64,     /* uint64_t, any value */
    KEY_DOUBLE,  /* double, range [min, max] or (min, max] with min_open */
    KEY_BOOL,    /* int 0/1 */
    KEY_ENUM,    /* an enum stored as int; names[i] is value i */
    KEY_PATH,    /* char[SH_PATH_MAX], non-empty */
    KEY_HIDDEN   /* model.hidden: n_hidden + hidden[] */
} key_type;

typedef struct {
    const char *section;
    const char *name;
    key_type type;
    size_t offset;             /* of the field within sh_config */
    double min, max;           /* KEY_INT, KEY_DOUBLE, KEY_HIDDEN (per layer) */
    int min_open;              /* KEY_DOUBLE: min itself is excluded */
    int multiple_of;           /* KEY_INT: value must be a multiple (0 = any) */
    const char *const *names;  /* KEY_ENUM: NULL-terminated */
} key_def;

static const char *const activation_names[] = { "linear", "relu", "sigmoid", "tanh", NULL };
static const char *const encoder_names[] = { "ae", "simhash", "lsh", "itq", NULL };
static const char *const optimizer_names[] = { "adam", "sgd", NULL };
static const char *const start_names[] = { "random", "itq", "auto", "both", NULL };
static const char *const binary_names[] = { "skip", "fail", NULL };
static const char *const email_header_names[] = { "subject", "all", NULL };

_Static_assert(sizeof(sh_activation) == sizeof(int), "enums are stored as int");
_Static_assert(sizeof(sh_encoder_kind) == sizeof(int), "enums are stored as int");
_Static_assert(sizeof(sh_optimizer_kind) == sizeof(int), "enums are stored as int");
_Static_assert(sizeof(sh_train_start) == sizeof(int), "enums are stored as int");
_Static_assert(sizeof(sh_binary_policy) == sizeof(int), "enums are stored as int");
_Static_assert(sizeof(sh_email_headers) == sizeof(int), "enums are stored as int");

#define OFF(field) offsetof(sh_config, field)
#define INT_KEY(sec, name, field, lo, hi) { sec, name, KEY_INT, OFF(field), lo, hi, 0, 0, NULL }
#define DBL_KEY(sec, name, field, lo, hi, open) \
    { sec, name, KEY_DOUBLE, OFF(field), lo, hi, open, 0, NULL }
#define BOOL_KEY(sec, name, field) { sec, name, KEY_BOOL, OFF(field), 0, 1, 0, 0, NULL }
#define ENUM_KEY(sec, name, field, list) { sec, name, KEY_ENUM, OFF(field), 0, 0, 0, 0, list }

static const key_def keys[] = {
    { "model", "code_bits", KEY_INT, OFF(model.code_bits), 8, 128, 0, 8, NULL },
    { "model", "hidden", KEY_HIDDEN, OFF(model), 1, 100000, 0, 0, NULL },
    ENUM_KEY("model", "activation", model.activation, activation_names),
    ENUM_KEY("model", "encoder", model.encoder, encoder_names),

    INT_KEY("text", "vocab_size", text.vocab_size, 1, 10000000),
    INT_KEY("text", "min_df", text.min_df, 1, INT_MAX),
    DBL_KEY("text", "max_df", text.max_df, 0, 1, 1),
    BOOL_KEY("text", "stop_words", text.stop_words),
    BOOL_KEY("text", "stemming", text.stemming),
    BOOL_KEY("text", "numbers", text.numbers),
    INT_KEY("text", "min_token_len", text.min_token_len, 1, 100),
    INT_KEY("text", "max_token_len", text.max_token_len, 1, 1000),
    BOOL_KEY("text", "email", text.email),
    ENUM_KEY("text", "email_headers", text.email_headers, email_header_names),
    ENUM_KEY("text", "on_binary", text.on_binary, binary_names),

    INT_KEY("train", "epochs", train.epochs, 1, 100000),
    INT_KEY("train", "batch_size", train.batch_size, 1, 65536),
    DBL_KEY("train", "learning_rate", train.learning_rate, 0, 10, 1),
    { "train", "seed", KEY_U64, OFF(train.seed), 0, 0, 0, 0, NULL },
    INT_KEY("train", "threads", train.threads, 0, 256),
    ENUM_KEY("train", "optimizer", train.optimizer, optimizer_names),
    DBL_KEY("train", "weight_decay", train.weight_decay, 0, HUGE_VAL, 0),
    DBL_KEY("train", "validation_fraction", train.validation_fraction, 0, 0.5, 0),
    INT_KEY("train", "patience", train.patience, 0, INT_MAX),
    DBL_KEY("train", "max_seconds", train.max_seconds, 0, HUGE_VAL, 0),
    ENUM_KEY("train", "start", train.start, start_names),

    { "index", "path", KEY_PATH, OFF(index.path), 0, 0, 0, 0, NULL },
    INT_KEY("index", "map_size_mb", index.map_size_mb, 1, 16777216),
    INT_KEY("index", "mih_substrings", index.mih_substrings, 0, 16),
    INT_KEY("index", "batch_size", index.batch_size, 1, 1000000),
    BOOL_KEY("index", "store_exact_duplicates", index.store_exact_duplicates),

    INT_KEY("query", "radius", query.radius, 0, 128),
    INT_KEY("query", "k", query.k, 1, 1000000),
    INT_KEY("query", "near_dup_radius", query.near_dup_radius, 0, 128),
};

#define N_KEYS (sizeof keys / sizeof keys[0])

static const char *const sections[] = { "model", "text", "train", "index", "query" };
#define N_SECTIONS (sizeof sections / sizeof sections[0])

void config_defaults(sh_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->model.code_bits = 64;
    cfg->model.n_hidden = 2;
    cfg->model.hidden[0] = 500;
    cfg->model.hidden[1] = 500;
    cfg->model.activation = SH_ACT_RELU;
    cfg->model.encoder = SH_ENCODER_AE;

    cfg->text.vocab_size = 10000;
    cfg->text.min_df = 2;
    cfg->text.max_df = 0.5;
    cfg->text.stop_words = 1;
    cfg->text.stemming = 0;
    cfg->text.numbers = 0;
    cfg->text.min_token_len = 2;
    cfg->text.max_token_len = 30;
    cfg->text.email = 1;
    cfg->text.email_headers = SH_EMAIL_SUBJECT;
    cfg->text.on_binary = SH_BINARY_SKIP;

    cfg->train.epochs = 100;
    cfg->train.batch_size = 128;
    cfg->train.learning_rate = 0.001;
    cfg->train.seed = 1;
    cfg->train.threads = 0;
    cfg->train.optimizer = SH_OPT_ADAM;
    cfg->train.weight_decay = 0.0;
    cfg->train.validation_fraction = 0.1;
    cfg->train.patience = 30;
    cfg->train.max_seconds = 0.0;
    cfg->train.start = SH_START_AUTO;

    snprintf(cfg->index.path, sizeof cfg->index.path, "%s", "semhash.idx");
    cfg->index.map_size_mb = 1024;
    cfg->index.mih_substrings = 0;
    cfg->index.batch_size = 10000;
    cfg->index.store_exact_duplicates = 1;

    cfg->query.radius = 3;
    cfg->query.k = 10;
    cfg->query.near_dup_radius = 10;
}

/* ---- lookups and messages -------------------------------------------- */

static int is_section(const char *name, size_t len)
{
    for (size_t i = 0; i < N_SECTIONS; i++)
        if (strlen(sections[i]) == len && memcmp(sections[i], name, len) == 0)
            return 1;
    return 0;
}

static const key_def *find_key(const char *section, const char *name, size_t name_len)
{
    for (size_t i = 0; i < N_KEYS; i++)
        if (strcmp(keys[i].section, section) == 0 && strlen(keys[i].name) == name_len &&
            memcmp(keys[i].name, name, name_len) == 0)
            return &keys[i];
    return NULL;
}

/* "a, b, c" of the keys of one section, for unknown-key messages. */
static void list_keys(const char *section, char *out, size_t out_len)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < N_KEYS && used < out_len; i++) {
        if (strcmp(keys[i].section, section) != 0)
            continue;
        int n = snprintf(out + used, out_len - used, "%s%s", used ? ", " : "", keys[i].name);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

/* Where a value came from, for messages: "PATH:LINE" or "--set". */
typedef struct {
    const char *file;  /* NULL for an override */
    size_t line;       /* 1-based */
} origin;

/* Fills err with "ORIGIN: key SECTION.NAME: problem". Returns SH_ECONFIG. */
static int key_fail(char *err, size_t err_len, const origin *at, const key_def *k,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int key_fail(char *err, size_t err_len, const origin *at, const key_def *k,
                    const char *fmt, ...)
{
    char problem[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(problem, sizeof problem, fmt, ap);
    va_end(ap);
    if (at == NULL)
        return sh_fail(err, err_len, SH_ECONFIG, "key %s.%s: %s", k->section, k->name, problem);
    if (at->file == NULL)
        return sh_fail(err, err_len, SH_ECONFIG, "--set %s.%s: %s", k->section, k->name,
                       problem);
    return sh_fail(err, err_len, SH_ECONFIG, "%s:%zu: key %s.%s: %s", at->file, at->line,
                   k->section, k->name, problem);
}

static const char *type_noun(const key_def *k)
{
    switch (k->type) {
    case KEY_INT:
    case KEY_U64:
        return "an integer";
    case KEY_DOUBLE:
        return "a number";
    case KEY_BOOL:
        return "a boolean (true, false, yes or no)";
    case KEY_ENUM:
        return "one of the names listed in config.yaml";
    case KEY_PATH:
        return "a path";
    case KEY_HIDDEN:
        return "a list of integers such as [500, 500]";
    }
    return "a value";
}

/* ---- range checks (shared by parsing and config_validate) ------------- */

static int check_int(const key_def *k, long long v, const origin *at, char *err, size_t err_len)
{
    if ((double)v < k->min || (double)v > k->max) {
        if (k->max >= INT_MAX)
            return key_fail(err, err_len, at, k, "%lld is out of range (at least %.0f)", v,
                            k->min);
        return key_fail(err, err_len, at, k, "%lld is out of range (%.0f..%.0f)", v, k->min,
                        k->max);
    }
    if (k->multiple_of > 0 && v % k->multiple_of != 0)
        return key_fail(err, err_len, at, k, "%lld is not a multiple of %d", v, k->multiple_of);
    return 0;
}

static int check_double(const key_def *k, double v, const origin *at, char *err,
                        size_t err_len)
{
    int low = k->min_open ? v <= k->min : v < k->min;
    if (!isfinite(v) || low || v > k->max) {
        if (isinf(k->max))
            return key_fail(err, err_len, at, k, "%g is out of range (%s %g)", v,
                            k->min_open ? "more than" : "at least", k->min);
        return key_fail(err, err_len, at, k, "%g is out of range (%s%g, %g])", v,
                        k->min_open ? "(" : "[", k->min, k->max);
    }
    return 0;
}

/* Checks the value currently stored for k in cfg. */
static int check_stored(const sh_config *cfg, const key_def *k, char *err, size_t err_len)
{
    const char *base = (const char *)cfg + k->offset;
    switch (k->type) {
    case KEY_INT:
        return check_int(k, *(const int *)base, NULL, err, err_len);
    case KEY_U64:
        return 0;
    case KEY_DOUBLE:
        return check_double(k, *(const double *)base, NULL, err, err_len);
    case KEY_BOOL: {
        int v = *(const int *)base;
        if (v != 0 && v != 1)
            return key_fail(err, err_len, NULL, k, "%d is not a boolean (0 or 1)", v);
        return 0;
    }
    case KEY_ENUM: {
        int v = *(const int *)base, n = 0;
        while (k->names[n] != NULL)
            n++;
        if (v < 0 || v >= n)
            return key_fail(err, err_len, NULL, k, "%d is not a valid choice", v);
        return 0;
    }
    case KEY_PATH: {
        const char *p = base;
        if (memchr(p, '\0', SH_PATH_MAX) == NULL)
            return key_fail(err, err_len, NULL, k, "path is not terminated");
        if (p[0] == '\0')
            return key_fail(err, err_len, NULL, k, "path is empty");
        return 0;
    }
    case KEY_HIDDEN: {
        const sh_model_config *m = (const sh_model_config *)base;
        if (m->n_hidden < 0 || m->n_hidden > SH_MAX_HIDDEN_LAYERS)
            return key_fail(err, err_len, NULL, k, "%d layers (at most %d)", m->n_hidden,
                            SH_MAX_HIDDEN_LAYERS);
        for (int i = 0; i < m->n_hidden; i++) {
            if (m->hidden[i] < k->min || m->hidden[i] > k->max)
                return key_fail(err, err_len, NULL, k,
                                "layer %d has %d units (%.0f..%.0f)", i + 1, m->hidden[i],
                                k->min, k->max);
        }
        return 0;
    }
    }
    return 0;
}

int config_validate(const sh_config *cfg, char *err, size_t err_len)
{
    for (size_t i = 0; i < N_KEYS; i++) {
        int rc = check_stored(cfg, &keys[i], err, err_len);
        if (rc != 0)
            return rc;
    }
    if (cfg->text.max_token_len < cfg->text.min_token_len)
        return sh_fail(err, err_len, SH_ECONFIG,
                       "key text.max_token_len: %d is less than text.min_token_len (%d)",
                       cfg->text.max_token_len, cfg->text.min_token_len);
    if (cfg->query.radius > cfg->model.code_bits)
        return sh_fail(err, err_len, SH_ECONFIG,
                       "key query.radius: %d is more than model.code_bits (%d)",
                       cfg->query.radius, cfg->model.code_bits);
    if (cfg->index.mih_substrings > cfg->model.code_bits / 4)
        return sh_fail(err, err_len, SH_ECONFIG,
                       "key index.mih_substrings: %d substrings of a %d-bit code would "
                       "be shorter than 4 bits (use at most %d, or 0 = automatic)",
                       cfg->index.mih_substrings, cfg->model.code_bits,
                       cfg->model.code_bits / 4);
    return 0;
}

/* ---- parsing scalars -------------------------------------------------- */

/* Parses a decimal integer filling the whole text. Returns 0 or -1. */
static int parse_ll(const char *text, long long *out)
{
    if (text[0] == '\0')
        return -1;
    char *end = NULL;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno != 0 || *end != '\0')
        return -1;
    *out = v;
    return 0;
}

/* Stores a scalar value for k. quoted: the YAML scalar was quoted (a
 * string, so not acceptable as a number or boolean). */
static int set_scalar(sh_config *cfg, const key_def *k, const char *text, int quoted,
                      const origin *at, char *err, size_t err_len)
{
    char *base = (char *)cfg + k->offset;
    int plain_number = !quoted && text[0] != '\0' && !isspace((unsigned char)text[0]);
    if (quoted && (k->type == KEY_INT || k->type == KEY_U64 || k->type == KEY_DOUBLE ||
                   k->type == KEY_BOOL))
        return key_fail(err, err_len, at, k, "expected %s, got the quoted string '%s' "
                        "(write it without quotes)", type_noun(k), text);
    switch (k->type) {
    case KEY_INT: {
        long long v;
        if (!plain_number || parse_ll(text, &v) != 0)
            return key_fail(err, err_len, at, k, "expected an integer, got '%s'", text);
        int rc = check_int(k, v, at, err, err_len);
        if (rc != 0)
            return rc;
        *(int *)base = (int)v;
        return 0;
    }
    case KEY_U64: {
        char *end = NULL;
        errno = 0;
        unsigned long long v = strtoull(text, &end, 10);
        if (!plain_number || errno != 0 || *end != '\0' || text[0] == '-' || text[0] == '+')
            return key_fail(err, err_len, at, k,
                            "expected an integer from 0 to 18446744073709551615, got '%s'",
                            text);
        *(uint64_t *)base = (uint64_t)v;
        return 0;
    }
    case KEY_DOUBLE: {
        char *end = NULL;
        errno = 0;
        double v = plain_number ? strtod(text, &end) : 0.0;
        if (!plain_number || *end != '\0' || errno == ERANGE)
            return key_fail(err, err_len, at, k, "expected a number, got '%s'", text);
        int rc = check_double(k, v, at, err, err_len);
        if (rc != 0)
            return rc;
        *(double *)base = v;
        return 0;
    }
    case KEY_BOOL: {
        int v = -1;
        if (!quoted && (strcasecmp(text, "true") == 0 || strcasecmp(text, "yes") == 0))
            v = 1;
        else if (!quoted && (strcasecmp(text, "false") == 0 || strcasecmp(text, "no") == 0))
            v = 0;
        if (v < 0)
            return key_fail(err, err_len, at, k, "expected true, false, yes or no, got '%s'",
                            text);
        *(int *)base = v;
        return 0;
    }
    case KEY_ENUM: {
        char choices[128] = "";
        size_t used = 0;
        for (int i = 0; k->names[i] != NULL; i++) {
            if (strcmp(k->names[i], text) == 0) {
                *(int *)base = i;
                return 0;
            }
            int n = snprintf(choices + used, sizeof choices - used, "%s%s", i ? "|" : "",
                             k->names[i]);
            if (n > 0 && (size_t)n < sizeof choices - used)
                used += (size_t)n;
        }
        return key_fail(err, err_len, at, k, "expected one of %s, got '%s'", choices, text);
    }
    case KEY_PATH: {
        size_t len = strlen(text);
        if (len == 0)
            return key_fail(err, err_len, at, k, "expected a path, got an empty value");
        if (len >= SH_PATH_MAX)
            return key_fail(err, err_len, at, k, "path is longer than %d bytes",
                            SH_PATH_MAX - 1);
        memcpy(base, text, len + 1);
        return 0;
    }
    case KEY_HIDDEN:
        break; /* sequences are handled by the callers */
    }
    return key_fail(err, err_len, at, k, "expected %s, got '%s'", type_noun(k), text);
}

/* Stores model.hidden from n parsed layer sizes (checked here). */
static int set_hidden(sh_config *cfg, const key_def *k, const long long *units, int n,
                      const origin *at, char *err, size_t err_len)
{
    if (n > SH_MAX_HIDDEN_LAYERS)
        return key_fail(err, err_len, at, k, "too many layers (at most %d)",
                        SH_MAX_HIDDEN_LAYERS);
    for (int i = 0; i < n; i++) {
        if ((double)units[i] < k->min || (double)units[i] > k->max)
            return key_fail(err, err_len, at, k, "layer %d: %lld units is out of range "
                            "(%.0f..%.0f)", i + 1, units[i], k->min, k->max);
    }
    cfg->model.n_hidden = n;
    for (int i = 0; i < n; i++)
        cfg->model.hidden[i] = (int)units[i];
    return 0;
}

/* ---- overrides -------------------------------------------------------- */

static void trim(char *s)
{
    size_t len = strlen(s), start = 0;
    while (len > 0 && isspace((unsigned char)s[len - 1]))
        s[--len] = '\0';
    while (isspace((unsigned char)s[start]))
        start++;
    memmove(s, s + start, len - start + 1);
}

/* "[256, 128]", "256,128", "256", "[]" or "" into model.hidden. */
static int set_hidden_text(sh_config *cfg, const key_def *k, char *text, const origin *at,
                           char *err, size_t err_len)
{
    long long units[SH_MAX_HIDDEN_LAYERS + 1];
    int n = 0;
    size_t len = strlen(text);
    if (len > 0 && text[0] == '[') {
        if (text[len - 1] != ']')
            return key_fail(err, err_len, at, k, "expected %s, got '%s'", type_noun(k), text);
        text[len - 1] = '\0';
        text++;
        trim(text);
    }
    if (text[0] == '\0')
        return set_hidden(cfg, k, units, 0, at, err, err_len);
    for (char *item = text;;) {
        char *comma = strchr(item, ',');
        if (comma != NULL)
            *comma = '\0';
        trim(item);
        if (n > SH_MAX_HIDDEN_LAYERS)
            return set_hidden(cfg, k, units, n, at, err, err_len);
        if (parse_ll(item, &units[n]) != 0)
            return key_fail(err, err_len, at, k, "expected an integer layer size, got '%s'",
                            item);
        n++;
        if (comma == NULL)
            break;
        item = comma + 1;
    }
    return set_hidden(cfg, k, units, n, at, err, err_len);
}

int config_set(sh_config *cfg, const char *assignment, char *err, size_t err_len)
{
    char *copy = NULL;
    int rc;
    const char *eq = assignment ? strchr(assignment, '=') : NULL;
    if (eq == NULL)
        return sh_fail(err, err_len, SH_ECONFIG,
                       "--set '%s': expected section.key=value (e.g. train.epochs=20)",
                       assignment ? assignment : "");
    copy = strdup(assignment);
    if (copy == NULL)
        return sh_fail(err, err_len, SH_ENOMEM, "--set: out of memory");
    char *name = copy;
    char *value = copy + (eq - assignment);
    *value++ = '\0';
    trim(name);
    trim(value);
    char *dot = strchr(name, '.');
    if (dot == NULL) {
        rc = sh_fail(err, err_len, SH_ECONFIG,
                     "--set '%s': expected section.key=value (e.g. train.epochs=20)",
                     assignment);
        goto done;
    }
    *dot = '\0';
    const char *key = dot + 1;
    if (!is_section(name, strlen(name))) {
        rc = sh_fail(err, err_len, SH_ECONFIG,
                     "--set %s.%s: unknown section '%s' (expected model, text, train, "
                     "index or query)", name, key, name);
        goto done;
    }
    const key_def *k = find_key(name, key, strlen(key));
    if (k == NULL) {
        char known[512];
        list_keys(name, known, sizeof known);
        rc = sh_fail(err, err_len, SH_ECONFIG, "--set %s.%s: unknown key (keys of %s: %s)",
                     name, key, name, known);
        goto done;
    }
    origin at = { NULL, 0 };
    if (k->type == KEY_HIDDEN)
        rc = set_hidden_text(cfg, k, value, &at, err, err_len);
    else
        rc = set_scalar(cfg, k, value, 0, &at, err, err_len);
done:
    free(copy);
    return rc;
}

/* ---- loading a file --------------------------------------------------- */

typedef struct {
    yaml_document_t *doc;
    const char *path;
    sh_config *cfg;
    char *err;
    size_t err_len;
} loader;

static size_t node_line(const yaml_node_t *node)
{
    return node->start_mark.line + 1;
}

static const char *node_noun(const yaml_node_t *node)
{
    switch (node->type) {
    case YAML_MAPPING_NODE:
        return "a mapping";
    case YAML_SEQUENCE_NODE:
        return "a sequence";
    default:
        return "a scalar";
    }
}

/* A plain empty, "~" or "null" scalar: YAML's null. */
static int is_null(const yaml_node_t *node)
{
    if (node->type != YAML_SCALAR_NODE || node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return 0;
    const char *v = (const char *)node->data.scalar.value;
    return v[0] == '\0' || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
           strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0;
}

static int is_quoted(const yaml_node_t *node)
{
    return node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
}

static int load_hidden(loader *ld, const key_def *k, const yaml_node_t *value, const origin *at)
{
    long long units[SH_MAX_HIDDEN_LAYERS + 1];
    int n = 0;
    for (yaml_node_item_t *it = value->data.sequence.items.start;
         it < value->data.sequence.items.top; it++) {
        const yaml_node_t *item = yaml_document_get_node(ld->doc, *it);
        origin item_at = { ld->path, node_line(item) };
        if (item->type != YAML_SCALAR_NODE)
            return key_fail(ld->err, ld->err_len, &item_at, k,
                            "expected an integer layer size, got %s", node_noun(item));
        const char *text = (const char *)item->data.scalar.value;
        if (n > SH_MAX_HIDDEN_LAYERS)
            break;
        if (is_quoted(item) || parse_ll(text, &units[n]) != 0)
            return key_fail(ld->err, ld->err_len, &item_at, k,
                            "expected an integer layer size, got '%s'", text);
        n++;
    }
    return set_hidden(ld->cfg, k, units, n, at, ld->err, ld->err_len);
}

static int load_section(loader *ld, const char *section, const yaml_node_t *map)
{
    if (is_null(map))
        return 0; /* "train:" with every key commented out */
    if (map->type != YAML_MAPPING_NODE)
        return sh_fail(ld->err, ld->err_len, SH_ECONFIG,
                       "%s:%zu: section %s: expected a mapping of keys, got %s", ld->path,
                       node_line(map), section, node_noun(map));
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        const yaml_node_t *kn = yaml_document_get_node(ld->doc, p->key);
        const yaml_node_t *vn = yaml_document_get_node(ld->doc, p->value);
        if (kn->type != YAML_SCALAR_NODE)
            return sh_fail(ld->err, ld->err_len, SH_ECONFIG,
                           "%s:%zu: section %s: a key must be a name, got %s", ld->path,
                           node_line(kn), section, node_noun(kn));
        const char *name = (const char *)kn->data.scalar.value;
        size_t name_len = kn->data.scalar.length;
        const key_def *k = find_key(section, name, name_len);
        if (k == NULL) {
            char known[512];
            list_keys(section, known, sizeof known);
            return sh_fail(ld->err, ld->err_len, SH_ECONFIG,
                           "%s:%zu: unknown key %s.%s (keys of %s: %s)", ld->path,
                           node_line(kn), section, name, section, known);
        }
        for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < p; q++) {
            const yaml_node_t *prev = yaml_document_get_node(ld->doc, q->key);
            if (prev->type == YAML_SCALAR_NODE && prev->data.scalar.length == name_len &&
                memcmp(prev->data.scalar.value, name, name_len) == 0)
                return sh_fail(ld->err, ld->err_len, SH_ECONFIG,
                               "%s:%zu: duplicate key %s.%s (first given at line %zu)",
                               ld->path, node_line(kn), section, name, node_line(prev));
        }
        origin at = { ld->path, node_line(vn) };
        int rc;
        if (k->type == KEY_HIDDEN) {
            if (vn->type != YAML_SEQUENCE_NODE)
                return key_fail(ld->err, ld->err_len, &at, k, "expected %s, got %s",
                                type_noun(k), vn->type == YAML_SCALAR_NODE
                                    ? "a scalar" : node_noun(vn));
            rc = load_hidden(ld, k, vn, &at);
        } else if (vn->type != YAML_SCALAR_NODE) {
            rc = key_fail(ld->err, ld->err_len, &at, k, "expected %s, got %s", type_noun(k),
                          node_noun(vn));
        } else if (is_null(vn)) {
            rc = key_fail(ld->err, ld->err_len, &at, k, "expected %s, got no value",
                          type_noun(k));
        } else {
            rc = set_scalar(ld->cfg, k, (const char *)vn->data.scalar.value, is_quoted(vn),
                            &at, ld->err, ld->err_len);
        }
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int load_root(loader *ld, const yaml_node_t *root)
{
    if (root == NULL || is_null(root))
        return 0; /* an empty file: all defaults */
    if (root->type != YAML_MAPPING_NODE)
        return sh_fail(ld->err, ld->err_len, SH_ECONFIG,
                       "%s:%zu: expected a mapping of sections (model, text, train, index, "
                       "query), got %s", ld->path, node_line(root), node_noun(root));
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
         p < root->data.mapping.pairs.top; p++) {
        const yaml_node_t *kn = yaml_document_get_node(ld->doc, p->key);
        const yaml_node_t *vn = yaml_document_get_node(ld->doc, p->value);
        if (kn->type != YAML_SCALAR_NODE)
            return sh_fail(ld->err, ld->err_len, SH_ECONFIG,
                           "%s:%zu: a section name must be a name, got %s", ld->path,
                           node_line(kn), node_noun(kn));
        if (!is_section((const char *)kn->data.scalar.value, kn->data.scalar.length))
            return sh_fail(ld->err, ld->err_len, SH_ECONFIG,
                           "%s:%zu: unknown section '%s' (expected model, text, train, index "
                           "or query)", ld->path, node_line(kn),
                           (const char *)kn->data.scalar.value);
        const char *section = (const char *)kn->data.scalar.value;
        for (yaml_node_pair_t *q = root->data.mapping.pairs.start; q < p; q++) {
            const yaml_node_t *prev = yaml_document_get_node(ld->doc, q->key);
            if (strcmp((const char *)prev->data.scalar.value, section) == 0)
                return sh_fail(ld->err, ld->err_len, SH_ECONFIG,
                               "%s:%zu: duplicate section %s (first given at line %zu)",
                               ld->path, node_line(kn), section, node_line(prev));
        }
        int rc = load_section(ld, section, vn);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* The 1-based line of byte offset in text. */
static size_t line_of_offset(const char *text, size_t len, size_t offset)
{
    size_t line = 1;
    for (size_t i = 0; i < offset && i < len; i++)
        line += text[i] == '\n';
    return line;
}

static int syntax_fail(const yaml_parser_t *parser, const char *path, const char *text,
                       size_t len, char *err, size_t err_len)
{
    const char *problem = parser->problem ? parser->problem : "malformed YAML";
    /* The reader (encoding, control characters) reports a byte offset,
     * the scanner and parser a mark. */
    size_t line = parser->error == YAML_READER_ERROR
                      ? line_of_offset(text, len, parser->problem_offset)
                      : parser->problem_mark.line + 1;
    if (parser->context != NULL)
        return sh_fail(err, err_len, SH_ECONFIG, "%s:%zu: YAML syntax error: %s (%s)", path,
                       line, problem, parser->context);
    return sh_fail(err, err_len, SH_ECONFIG, "%s:%zu: YAML syntax error: %s", path, line,
                   problem);
}

/* Reads the whole file (configuration files are small). Returns 0 or an
 * errno value / SH_ENOMEM / SH_ECONFIG with a message. */
static int read_text(const char *path, char **out, size_t *out_len, char *err, size_t err_len)
{
    char *text = NULL;
    size_t len = 0, cap = 0;
    int rc;
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        rc = errno;
        return sh_fail(err, err_len, rc, "%s: cannot open: %s", path, strerror(rc));
    }
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        rc = sh_fail(err, err_len, EISDIR, "%s: is a directory, not a configuration file",
                     path);
        goto fail;
    }
    for (;;) {
        if (len == cap) {
            if (cap >= CONFIG_MAX_BYTES) {
                rc = sh_fail(err, err_len, SH_ECONFIG,
                             "%s: larger than %d bytes; not a configuration file", path,
                             CONFIG_MAX_BYTES);
                goto fail;
            }
            cap = cap ? cap * 2 : 4096;
            char *grown = realloc(text, cap + 1);
            if (grown == NULL) {
                rc = sh_fail(err, err_len, SH_ENOMEM, "%s: out of memory", path);
                goto fail;
            }
            text = grown;
        }
        size_t n = fread(text + len, 1, cap - len, f);
        len += n;
        if (n == 0)
            break;
    }
    if (ferror(f)) {
        rc = errno ? errno : EIO;
        sh_fail(err, err_len, rc, "%s: cannot read: %s", path, strerror(rc));
        goto fail;
    }
    fclose(f);
    text[len] = '\0';
    *out = text;
    *out_len = len;
    return 0;

fail:
    fclose(f);
    free(text);
    return rc;
}

int config_load_buffer(sh_config *cfg, const char *text, size_t len, const char *label,
                       char *err, size_t err_len)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    int have_doc = 0;
    int rc;

    if (label == NULL)
        label = "configuration";
    if (cfg == NULL || (text == NULL && len > 0))
        return sh_fail(err, err_len, SH_EINVAL, "%s: no configuration or no text", label);
    if (!yaml_parser_initialize(&parser))
        return sh_fail(err, err_len, SH_ENOMEM, "%s: out of memory", label);
    yaml_parser_set_input_string(&parser, (const unsigned char *)(text ? text : ""), len);
    if (!yaml_parser_load(&parser, &doc)) {
        rc = syntax_fail(&parser, label, text, len, err, err_len);
        goto done;
    }
    have_doc = 1;
    loader ld = { &doc, label, cfg, err, err_len };
    rc = load_root(&ld, yaml_document_get_root_node(&doc));
    if (rc != 0)
        goto done;
    /* A second document ("---") would be silently ignored: refuse it. */
    yaml_document_delete(&doc);
    have_doc = 0;
    if (!yaml_parser_load(&parser, &doc)) {
        rc = syntax_fail(&parser, label, text, len, err, err_len);
        goto done;
    }
    have_doc = 1;
    const yaml_node_t *extra = yaml_document_get_root_node(&doc);
    if (extra != NULL)
        rc = sh_fail(err, err_len, SH_ECONFIG,
                     "%s:%zu: a second YAML document; put all settings in one", label,
                     node_line(extra));
done:
    if (have_doc)
        yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    return rc;
}

int config_load(sh_config *cfg, const char *path, char *err, size_t err_len)
{
    char *text = NULL;
    size_t len = 0;
    if (cfg == NULL || path == NULL)
        return sh_fail(err, err_len, SH_EINVAL, "config: no configuration or no path");
    int rc = read_text(path, &text, &len, err, err_len);
    if (rc != 0)
        return rc;
    rc = config_load_buffer(cfg, text, len, path, err, err_len);
    free(text);
    return rc;
}

/* ---- writing YAML ----------------------------------------------------- */

typedef struct {
    char *buf;
    size_t cap;
    size_t len; /* needed so far, may exceed cap */
} out_text;

static void emit(out_text *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void emit(out_text *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *dst = o->len < o->cap ? o->buf + o->len : NULL;
    size_t room = o->len < o->cap ? o->cap - o->len : 0;
    int n = vsnprintf(dst, room, fmt, ap);
    va_end(ap);
    if (n > 0)
        o->len += (size_t)n;
}

/* A double-quoted YAML scalar that loads back to the same bytes. */
static void emit_quoted(out_text *o, const char *s)
{
    emit(o, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            emit(o, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f)
            emit(o, "\\x%02x", *p);
        else
            emit(o, "%c", *p);
    }
    emit(o, "\"");
}

size_t config_to_yaml(const sh_config *cfg, char *buf, size_t buf_len)
{
    out_text o = { buf, buf ? buf_len : 0, 0 };
    const char *section = "";
    for (size_t i = 0; i < N_KEYS; i++) {
        const key_def *k = &keys[i];
        const char *base = (const char *)cfg + k->offset;
        if (strcmp(section, k->section) != 0) {
            section = k->section;
            emit(&o, "%s:\n", section);
        }
        emit(&o, "  %s: ", k->name);
        switch (k->type) {
        case KEY_INT:
            emit(&o, "%d", *(const int *)base);
            break;
        case KEY_U64:
            emit(&o, "%llu", (unsigned long long)*(const uint64_t *)base);
            break;
        case KEY_DOUBLE:
            emit(&o, "%.17g", *(const double *)base);
            break;
        case KEY_BOOL:
            emit(&o, "%s", *(const int *)base ? "true" : "false");
            break;
        case KEY_ENUM: {
            int v = *(const int *)base, n = 0;
            while (k->names[n] != NULL)
                n++;
            emit(&o, "%s", v >= 0 && v < n ? k->names[v] : "invalid");
            break;
        }
        case KEY_PATH: {
            char path[SH_PATH_MAX];
            snprintf(path, sizeof path, "%s", base);
            emit_quoted(&o, path);
            break;
        }
        case KEY_HIDDEN: {
            const sh_model_config *m = (const sh_model_config *)base;
            int n = m->n_hidden < 0 ? 0 : m->n_hidden > SH_MAX_HIDDEN_LAYERS
                        ? SH_MAX_HIDDEN_LAYERS : m->n_hidden;
            emit(&o, "[");
            for (int j = 0; j < n; j++)
                emit(&o, "%s%d", j ? ", " : "", m->hidden[j]);
            emit(&o, "]");
            break;
        }
        }
        emit(&o, "\n");
    }
    if (buf != NULL && buf_len > 0 && o.len >= buf_len)
        buf[buf_len - 1] = '\0';
    return o.len;
}
