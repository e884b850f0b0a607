/* run_tests.c — the one check runner. Every test source file that defines a
 * function `Suite *NAME_suite(void)` at the start of a line is registered
 * automatically (the Makefile generates suites.gen.h from the sources).
 *
 * Run one suite or case with check's own variables, e.g.
 *   CK_RUN_SUITE=rng make test      CK_RUN_CASE=core make test
 * Exits non-zero when any test fails. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "suites.gen.h"

typedef Suite *(*suite_factory)(void);

int main(void)
{
    suite_factory factories[] = { SH_SUITE_LIST };
    size_t count = sizeof(factories) / sizeof(factories[0]);

    SRunner *runner = srunner_create(factories[0]());
    for (size_t i = 1; i < count; i++)
        srunner_add_suite(runner, factories[i]());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? 0 : 1;
}
