/* cmd_eval.c — `semhash eval`: train every chosen encoder and code width
 * on the split "train" of a labelled corpus, query with the split "test",
 * report retrieval quality (and near-duplicate recall with --dups) as a
 * table or JSON lines. */
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli_config.h"
#include "hash_eval.h"
#include "hasher.h"
#include "sh_error.h"

#define MAX_SETS 64
#define MAX_LIST 16
#define MAX_LABELLINGS 4

static void usage(FILE *out)
{
    fprintf(out,
            "usage: semhash eval [-c CONFIG] [--set KEY=VALUE]... [--bits 16,32,64,128]\n"
            "                    [--encoders ae,simhash,lsh,itq] [--label N] [--json]\n"
            "                    [--dups FILE [--rates 5,10,20,30]] [--ae NAME=VALUE]...\n"
            "                    CORPUS.jsonl\n"
            "\n"
            "Fits each encoder at each code width on the documents with \"split\": \"train\",\n"
            "lets the \"test\" documents query them, and reports precision@10, @100,\n"
            "mAP@100, precision and mean result count within Hamming radius 0-4, and the\n"
            "training seconds; the first row is the real-valued tf-idf cosine reference.\n"
            "A result is relevant when it shares a label with the query.\n"
            "\n"
            "  --bits LIST       code widths (default model.code_bits)\n"
            "  --encoders LIST   ae, simhash, lsh, itq (default all four)\n"
            "  --label LIST      judge relevance by the N-th label of each document only\n"
            "                    (1-based; 0 = any shared label, the default); several\n"
            "                    (e.g. 1,2) report every encoder under each labelling\n"
            "                    from one fit\n"
            "  --dups FILE       edited copies (JSON lines with \"source\" and \"edit_rate\"):\n"
            "                    recall of the original and false candidates within r 0-8,\n"
            "                    the copies querying every document of the corpus\n"
            "  --rates LIST      edit rates in percent for --dups (default 5,10,20,30)\n"
            "  --json            one JSON object per line instead of a table\n"
            "  --ae NAME=VALUE   autoencoder recipe option (see semhash train --help)\n"
            "  -c, --config, --set, -q/--quiet, -h/--help as for train\n");
}

static void warn_skipped(void *user, const char *message)
{
    (void)user;
    fprintf(stderr, "semhash: warning: %s\n", message);
}

static int parse_encoders(const char *s, sh_encoder_kind *out, int cap)
{
    int n = 0;
    while (*s != '\0') {
        size_t len = strcspn(s, ",");
        sh_encoder_kind k;
        if (len == 2 && strncmp(s, "ae", 2) == 0)
            k = SH_ENCODER_AE;
        else if (len == 7 && strncmp(s, "simhash", 7) == 0)
            k = SH_ENCODER_SIMHASH;
        else if (len == 3 && strncmp(s, "lsh", 3) == 0)
            k = SH_ENCODER_LSH;
        else if (len == 3 && strncmp(s, "itq", 3) == 0)
            k = SH_ENCODER_ITQ;
        else
            return -1;
        if (n == cap)
            return -1;
        out[n++] = k;
        s += len;
        if (*s == ',')
            s++;
    }
    return n;
}

static json_t *json_number_or_null(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static void print_json(json_t *obj)
{
    char *text = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
    if (text != NULL)
        printf("%s\n", text);
    free(text);
    json_decref(obj);
}

/* label: the 1-based label position judged (0 = all), shown when
 * show_label (several labellings). */
static void report_result(const hash_eval_result *r, const char *name, int label, int show_label,
                          int as_json)
{
    if (as_json) {
        json_t *o = json_object();
        json_t *rp = json_array(), *rc = json_array();
        json_object_set_new(o, "encoder", json_string(name));
        json_object_set_new(o, "bits", json_integer(r->bits));
        if (show_label)
            json_object_set_new(o, "label", json_integer(label));
        json_object_set_new(o, "p_at_10", json_number_or_null(r->p_at_10));
        json_object_set_new(o, "p_at_100", json_number_or_null(r->p_at_100));
        json_object_set_new(o, "map_at_100", json_number_or_null(r->map_at_100));
        for (int i = 0; i < HASH_EVAL_RADII && r->bits > 0; i++) {
            json_array_append_new(rp, json_number_or_null(r->radius_precision[i]));
            json_array_append_new(rc, json_number_or_null(r->radius_count[i]));
        }
        json_object_set_new(o, "radius_precision", rp);
        json_object_set_new(o, "radius_count", rc);
        json_object_set_new(o, "train_seconds", json_real(r->train_seconds));
        if (r->encoder == SH_ENCODER_AE && r->bits > 0) {
            json_object_set_new(o, "epochs", json_integer(r->train.epochs_run));
            json_object_set_new(o, "best_epoch", json_integer(r->train.best_epoch + 1));
            json_object_set_new(o, "seconds_per_epoch", json_real(r->train.seconds_per_epoch));
            json_object_set_new(o, "gflops", json_real(r->train.gflops));
            json_object_set_new(o, "valid_precision",
                                json_number_or_null(r->train.valid_precision));
            json_object_set_new(o, "start",
                                json_string(r->train.itq_initialised ? "itq" : "random"));
            json_object_set_new(o, "starts_tried", json_integer(r->train.starts_tried));
            json_object_set_new(o, "valid_random", json_number_or_null(r->train.valid_random));
            json_object_set_new(o, "valid_itq", json_number_or_null(r->train.valid_itq));
            json_object_set_new(o, "valid_itq_codes",
                                json_number_or_null(r->train.valid_itq_codes));
        }
        print_json(o);
        return;
    }
    char bits[16] = "-", shown[32];
    if (r->bits > 0)
        snprintf(bits, sizeof bits, "%d", r->bits);
    if (show_label)
        snprintf(shown, sizeof shown, "%s/%d", name, label);
    else
        snprintf(shown, sizeof shown, "%s", name);
    printf("%-8s %4s %6.3f %6.3f %7.3f %8.1f ", shown, bits, r->p_at_10, r->p_at_100,
           r->map_at_100, r->train_seconds);
    for (int i = 0; i < HASH_EVAL_RADII && r->bits > 0; i++)
        printf(" %5.3f/%-7.1f", r->radius_precision[i], r->radius_count[i]);
    printf("\n");
    fflush(stdout);
}

static void report_dups(const char *name, int bits, double rate, const metrics_dup_row *rows,
                        size_t n_q, int as_json)
{
    if (as_json) {
        json_t *o = json_object(), *rec = json_array(), *fal = json_array();
        json_object_set_new(o, "encoder", json_string(name));
        json_object_set_new(o, "bits", json_integer(bits));
        json_object_set_new(o, "edit_rate", json_real(rate));
        json_object_set_new(o, "queries", json_integer((json_int_t)n_q));
        for (int i = 0; i < HASH_DUP_RADII; i++) {
            json_array_append_new(rec, json_number_or_null(rows[i].recall));
            json_array_append_new(fal, json_number_or_null(rows[i].false_per_query));
        }
        json_object_set_new(o, "dup_recall", rec);
        json_object_set_new(o, "dup_false", fal);
        print_json(o);
        return;
    }
    printf("%-8s %4d dups %3.0f%% (%zu):", name, bits, rate * 100, n_q);
    for (int i = 0; i < HASH_DUP_RADII; i++)
        printf(" r%d %.3f/%.1f", i, rows[i].recall, rows[i].false_per_query);
    printf("\n");
    fflush(stdout);
}

typedef struct {
    int bits[MAX_LIST], n_bits;
    sh_encoder_kind enc[MAX_LIST];
    int n_enc;
    int rates[MAX_LIST], n_rates;
    int labels[MAX_LABELLINGS], n_labels;
    int as_json, quiet;
    const char *dups_path;
} eval_args;

/* Evaluates one (encoder, bits) under every labelling (colls[i] holds the
 * collection with a->labels[i]'s selection; data carries the labels of
 * colls[0] on entry and on return) and its near-duplicate rows. */
static int eval_one(const eval_args *a, hash_eval_data *data, const hash_collection *colls,
                    const hash_dups *dups, sh_config cfg, hash_train_opts recipe,
                    sh_encoder_kind enc, int bits)
{
    const hash_collection *coll = &colls[0];
    int show = a->n_labels > 1;
    char err[1024], label[32];
    const char *name = hasher_encoder_name(enc);
    cfg.model.encoder = enc;
    cfg.model.code_bits = bits;
    recipe.code_bits = bits;
    snprintf(label, sizeof label, "%s-%d", name, bits);
    cli_train_view view = { 0, NULL, NULL };
    if (enc == SH_ENCODER_AE &&
        cli_train_view_attach(&view, &recipe, label, !a->quiet && isatty(2)) != 0)
        return CLI_EXIT_ERROR;
    hash_eval_result res;
    sh_hasher *h = NULL;
    int rc = hash_eval_encoder(data, &cfg, &recipe, &res, &h, err, sizeof err);
    cli_train_view_done(&view);
    if (rc != 0)
        return cli_error("%s: %s", label, err);
    report_result(&res, name, a->labels[0], show, a->as_json);
    for (int l = 1; l < a->n_labels; l++) {
        hash_eval_result more;
        if ((rc = hash_eval_data_relabel(data, &colls[l])) != 0 ||
            (rc = hash_eval_hasher(data, h, cfg.train.seed, &more, err, sizeof err)) != 0) {
            hash_eval_data_relabel(data, &colls[0]);
            hasher_free(h);
            return cli_error("%s: %s", label, rc == SH_ENOMEM ? "out of memory" : err);
        }
        more.train_seconds = res.train_seconds;
        more.train = res.train;
        report_result(&more, name, a->labels[l], show, a->as_json);
    }
    if (a->n_labels > 1 && (rc = hash_eval_data_relabel(data, &colls[0])) != 0) {
        hasher_free(h);
        return cli_error("%s: out of memory", label);
    }
    for (int i = 0; dups != NULL && i < a->n_rates; i++) {
        metrics_dup_row rows[HASH_DUP_RADII];
        size_t n_q;
        double rate = a->rates[i] / 100.0;
        if ((rc = hash_eval_dups(h, coll, dups, rate, rows, &n_q, err, sizeof err)) != 0) {
            hasher_free(h);
            return cli_error("%s: %s", label, err);
        }
        if (n_q > 0)
            report_dups(name, bits, rate, rows, n_q, a->as_json);
    }
    hasher_free(h);
    return 0;
}

int cmd_eval(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "config", required_argument, NULL, 'c' },   { "set", required_argument, NULL, 's' },
        { "bits", required_argument, NULL, 'b' },     { "encoders", required_argument, NULL, 'e' },
        { "label", required_argument, NULL, 'l' },    { "json", no_argument, NULL, 'j' },
        { "dups", required_argument, NULL, 'd' },     { "rates", required_argument, NULL, 'r' },
        { "ae", required_argument, NULL, 'a' },       { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },           { NULL, 0, NULL, 0 }
    };
    const char *config_path = NULL, *sets[MAX_SETS], *recipe_sets[MAX_SETS];
    size_t n_sets = 0, n_recipe = 0;
    eval_args a;
    memset(&a, 0, sizeof a);
    a.n_enc = 4;
    a.enc[0] = SH_ENCODER_LSH;
    a.enc[1] = SH_ENCODER_SIMHASH;
    a.enc[2] = SH_ENCODER_ITQ;
    a.enc[3] = SH_ENCODER_AE;
    a.n_rates = 4;
    a.rates[0] = 5, a.rates[1] = 10, a.rates[2] = 20, a.rates[3] = 30;
    int opt;
    optind = 0;
    while ((opt = getopt_long(argc, argv, "c:qh", longopts, NULL)) != -1) {
        switch (opt) {
        case 'c':
            config_path = optarg;
            break;
        case 's':
        case 'a':
            if ((opt == 's' ? n_sets : n_recipe) == MAX_SETS)
                return cli_error("eval: too many --set/--ae options");
            if (opt == 's')
                sets[n_sets++] = optarg;
            else
                recipe_sets[n_recipe++] = optarg;
            break;
        case 'b':
            if ((a.n_bits = cli_parse_int_list(optarg, a.bits, MAX_LIST)) <= 0)
                return cli_error("eval: --bits %s: expected a list like 16,32,64,128", optarg);
            for (int i = 0; i < a.n_bits; i++)
                if (!code_bits_valid(a.bits[i]))
                    return cli_error("eval: --bits: %d is not a multiple of 8 between 8 and 128",
                                     a.bits[i]);
            break;
        case 'e':
            if ((a.n_enc = parse_encoders(optarg, a.enc, MAX_LIST)) <= 0)
                return cli_error("eval: --encoders %s: expected a list of ae, simhash, lsh, itq",
                                 optarg);
            break;
        case 'l':
            a.n_labels = cli_parse_int_list(optarg, a.labels, MAX_LABELLINGS);
            for (int i = 0; i < a.n_labels; i++)
                if (a.labels[i] < 0)
                    a.n_labels = 0;
            if (a.n_labels <= 0)
                return cli_error("eval: --label %s: expected 0 (all) or label positions, at "
                                 "most %d", optarg, MAX_LABELLINGS);
            break;
        case 'j':
            a.as_json = 1;
            break;
        case 'd':
            a.dups_path = optarg;
            break;
        case 'r':
            if ((a.n_rates = cli_parse_int_list(optarg, a.rates, MAX_LIST)) <= 0)
                return cli_error("eval: --rates %s: expected percentages like 5,10,20,30", optarg);
            break;
        case 'q':
            a.quiet = 1;
            break;
        case 'h':
            usage(stdout);
            return CLI_EXIT_OK;
        default:
            usage(stderr);
            return CLI_EXIT_ERROR;
        }
    }
    if (optind != argc - 1) {
        usage(stderr);
        return cli_error("eval: give exactly one corpus");
    }

    char err[1024];
    sh_config cfg;
    int rc = cli_config_resolve(config_path, sets, n_sets, &cfg, err, sizeof err);
    if (rc != 0)
        return cli_error("%s", err);
    hash_train_opts recipe;
    hash_train_opts_from_config(&recipe, &cfg);
    for (size_t i = 0; i < n_recipe; i++)
        if (hash_train_opts_set(&recipe, recipe_sets[i], err, sizeof err) != 0)
            return cli_error("--ae: %s", err);
    if (a.n_bits == 0) {
        a.n_bits = 1;
        a.bits[0] = cfg.model.code_bits;
    }

    corpus_options copts = corpus_default_options();
    copts.on_binary = cfg.text.on_binary;
    copts.warn = warn_skipped;
    if (a.n_labels == 0) {
        a.n_labels = 1;
        a.labels[0] = 0;
    }
    hash_collection colls[MAX_LABELLINGS];
    hash_eval_data data;
    hash_dups dups;
    memset(colls, 0, sizeof colls);
    memset(&data, 0, sizeof data);
    memset(&dups, 0, sizeof dups);
    const char *path = argv[optind];
    int status = CLI_EXIT_ERROR;
    /* one load per labelling: the documents are the same, the labels differ */
    for (int l = 0; l < a.n_labels; l++)
        if ((rc = hash_collection_load(&colls[l], &path, 1, &copts, a.labels[l] - 1, err,
                                       sizeof err)) != 0) {
            cli_error("%s", err);
            goto done;
        }
    const hash_collection *coll = &colls[0];
    if (coll->n == 0) {
        cli_error("%s: the corpus is empty", path);
        goto done;
    }
    if ((rc = hash_eval_data_init(&data, coll, &cfg, 1, err, sizeof err)) != 0) {
        cli_error("%s: %s", path, err);
        goto done;
    }
    if (a.dups_path != NULL &&
        (rc = hash_dups_load(&dups, a.dups_path, coll, err, sizeof err)) != 0) {
        cli_error("%s", err);
        goto done;
    }
    if (!a.as_json) {
        printf("%s: %zu train / %zu test documents, %zu terms, %zu labels\n", path,
               data.train.rows, data.test.rows, text_vocab_size(data.vocab),
               coll->label_names.count);
        printf("%-8s %4s %6s %6s %7s %8s  radius 0..4: precision/mean results\n", "encoder",
               "bits", "P@10", "P@100", "mAP@100", "train s");
    }
    for (int l = 0; l < a.n_labels; l++) {
        hash_eval_result ref;
        if ((rc = hash_eval_data_relabel(&data, &colls[l])) != 0 ||
            (rc = hash_eval_cosine(&data, cfg.train.seed, &ref)) != 0) {
            cli_error("tf-idf reference: %s", sh_strerror(rc));
            goto done;
        }
        report_result(&ref, "tfidf", a.labels[l], a.n_labels > 1, a.as_json);
    }
    if ((rc = hash_eval_data_relabel(&data, &colls[0])) != 0) {
        cli_error("out of memory");
        goto done;
    }
    for (int b = 0; b < a.n_bits; b++)
        for (int e = 0; e < a.n_enc; e++)
            if (eval_one(&a, &data, colls, a.dups_path ? &dups : NULL, cfg, recipe, a.enc[e],
                         a.bits[b]) != 0)
                goto done;
    status = CLI_EXIT_OK;
done:
    hash_dups_free(&dups);
    hash_eval_data_free(&data);
    for (int l = 0; l < MAX_LABELLINGS; l++)
        hash_collection_free(&colls[l]);
    return status;
}
