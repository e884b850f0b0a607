/* placeholder */
#include "cli.h"
#include "cmd_ae.h"
int cmd_ae_generate(int argc, char **argv) { (void)argc; (void)argv; return cli_error("ae generate: not yet"); }
int cmd_ae_cluster(int argc, char **argv) { (void)argc; (void)argv; return cli_error("ae cluster: not yet"); }
int cmd_ae_classify(int argc, char **argv) { (void)argc; (void)argv; return cli_error("ae classify: not yet"); }
