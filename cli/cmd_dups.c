/* cmd_dups.c — `semhash dups`: every near-duplicate group of an index. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "semhash.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: semhash dups -i DIR [-r R] [--similarity S] [--json]\n"
            "\n"
            "Lists every group of near-duplicate documents, largest first: pairs whose\n"
            "codes are within distance R and whose word-pair signatures are similar\n"
            "enough (estimated Jaccard >= S), joined into groups.\n"
            "\n"
            "  -i, --index DIR     index directory (default index.path: semhash.idx)\n"
            "  -r, --radius R      Hamming radius for candidates (default\n"
            "                      query.near_dup_radius: 10, at most the code width)\n"
            "  -c, --config FILE   configuration (default ./config.yaml if present)\n"
            "  --set KEY=VALUE     override one configuration key (repeatable)\n"
            "      --similarity S  threshold in (0, 1] (default 0.4)\n"
            "      --json          one JSON line per group: {\"group\", \"size\", \"names\", \"ids\"}\n"
            "  -h, --help          this text\n"
            "\n"
            "Exit status: 0 groups found, 1 none, 2 usage or input error.\n");
}

int cmd_dups(int argc, char **argv)
{
    enum { OPT_JSON = 256, OPT_SIM };
    static const struct option longopts[] = {
        { "config", required_argument, NULL, 'c' }, { "set", required_argument, NULL, 's' },
        { "index", required_argument, NULL, 'i' }, { "radius", required_argument, NULL, 'r' },
        { "similarity", required_argument, NULL, OPT_SIM },
        { "json", no_argument, NULL, OPT_JSON },   { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    const char *dir = NULL;
    long radius = -1;
    cli_config_opts copts = { NULL, { NULL }, 0 };
    double similarity = 0.0;
    int json = 0, opt;
    optind = 0;
    while ((opt = getopt_long(argc, argv, "c:i:r:h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'c':
        case 's':
            if (cli_config_opt(&copts, opt, optarg) != 0)
                return CLI_EXIT_ERROR;
            break;
        case 'i': dir = optarg; break;
        case 'r':
            if (cli_parse_count(optarg, 1000000, &radius) != 0)
                return cli_error("dups: -r wants a radius 0..%d, not '%s'", SH_MAX_BITS, optarg);
            break;
        case OPT_SIM: {
            char *end;
            similarity = strtod(optarg, &end);
            if (end == optarg || *end || !(similarity > 0 && similarity <= 1))
                return cli_error("dups: --similarity wants a number in (0, 1], not '%s'", optarg);
            break;
        }
        case OPT_JSON: json = 1; break;
        case 'h': usage(stdout); return CLI_EXIT_OK;
        default: usage(stderr); return CLI_EXIT_ERROR;
        }
    }
    if (optind < argc) {
        usage(stderr);
        return cli_error("dups: unexpected argument '%s'", argv[optind]);
    }
    sh_config cfg;
    int radius_given = radius >= 0;
    if (cli_config_load(&copts, &cfg, &dir, NULL) != 0)
        return CLI_EXIT_ERROR;
    if (!radius_given)
        radius = cfg.query.near_dup_radius;
    sh_index *ix;
    if (cli_open_index(dir, 1, &ix) != 0)
        return CLI_EXIT_ERROR;
    int status = CLI_EXIT_ERROR;
    char err[1024];
    sh_dup_groups g;
    memset(&g, 0, sizeof g);
    if (!radius_given && radius > sh_index_bits(ix))
        radius = sh_index_bits(ix); /* the configured radius, capped */
    if (radius > sh_index_bits(ix)) {
        cli_error("dups: radius %ld is above the code width of index %s (%d bits)", radius, dir,
                  sh_index_bits(ix));
        goto done;
    }
    if (sh_dups(ix, (int)radius, similarity, &g, err, sizeof err) != 0) {
        cli_error("dups: %s", err);
        goto done;
    }
    static char buf[SH_DOC_BUF];
    for (size_t i = 0; i < g.n_groups; i++) {
        size_t size = g.start[i + 1] - g.start[i];
        json_t *names = json ? json_array() : NULL, *ids = json ? json_array() : NULL;
        if (!json)
            printf("group %zu: %zu documents\n", i + 1, size);
        for (size_t j = g.start[i]; j < g.start[i + 1]; j++) {
            sh_doc_info doc;
            if (sh_doc_get(ix, g.ids[j], &doc, buf, sizeof buf, err, sizeof err) != 0)
                continue;
            if (json) {
                json_array_append_new(names, json_string(doc.name));
                json_array_append_new(ids, json_integer(g.ids[j]));
            } else {
                printf("  %-32s  %.80s\n", doc.name, doc.snippet);
            }
        }
        if (json) {
            json_t *o = json_object();
            json_object_set_new(o, "group", json_integer((json_int_t)i + 1));
            json_object_set_new(o, "size", json_integer((json_int_t)size));
            json_object_set_new(o, "names", names);
            json_object_set_new(o, "ids", ids);
            char *line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
            if (line)
                puts(line);
            free(line);
            json_decref(o);
        }
    }
    if (!json)
        fprintf(stderr, "semhash: %zu groups from %llu verified pairs among %llu candidate pairs\n",
                g.n_groups, (unsigned long long)g.pairs, (unsigned long long)g.candidates);
    status = g.n_groups > 0 ? CLI_EXIT_OK : CLI_EXIT_NO_RESULTS;
done:
    sh_dup_groups_free(&g);
    sh_index_close(ix);
    return status;
}
