#!/bin/sh
# The example frontend (tests/frontend/example.c) builds against the
# INSTALLED library with pkg-config and answers queries from several
# threads on an index made by the CLI; the toolkit example
# (tests/frontend/ae_example.c, semhash_ae.h) trains and saves a detector,
# reopens it and flags the planted rows.
set -eu
W="$TMPDIR_E2E"
dest="$W/dest"
fail() { echo "FAIL: $*"; exit 1; }
make -s install DESTDIR="$dest" PREFIX=/opt/sh >/dev/null
for h in semhash.h semhash_ae.h sh_error.h; do
    test -f "$dest/opt/sh/include/$h" || fail "$h not installed"
done
export PKG_CONFIG_PATH="$dest/opt/sh/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$dest"
flags=$(pkg-config --cflags --libs semhash) || fail "pkg-config semhash"
# Under `make asan` the installed library is the sanitized build (make passes
# its variables on to the `make install` above): link the programs alike.
case "${MAKEFLAGS:-}" in
    *fsanitize*) flags="$flags -fsanitize=address,undefined" ;;
esac
# shellcheck disable=SC2086
cc -std=c11 -Wall -Wextra -Werror -o "$W/example" tests/frontend/example.c $flags -lpthread \
    || fail "example does not build against the installed library ($flags)"
# shellcheck disable=SC2086
cc -std=c11 -Wall -Wextra -Werror -o "$W/ae_example" tests/frontend/ae_example.c $flags -lm \
    || fail "ae_example does not build against the installed library ($flags)"
# the header alone, in strict C99, is enough for a program
printf '#include <semhash.h>\nint main(void) { return sh_version()[0] == 0; }\n' >"$W/min.c"
# shellcheck disable=SC2086
cc -std=c99 -pedantic -Wall -Werror -o "$W/min" "$W/min.c" $flags || fail "header alone"
export LD_LIBRARY_PATH="$dest/opt/sh/lib"
"$W/min" || fail "minimal program"
# the toolkit's header alone too, before or after semhash.h
printf '#include <semhash_ae.h>\n#include <semhash.h>\nint main(void) { return sh_ae_blade_name(SH_AE_CLUSTER)[0] != 99; }\n' >"$W/min_ae.c"
# shellcheck disable=SC2086
cc -std=c99 -pedantic -Wall -Werror -o "$W/min_ae" "$W/min_ae.c" $flags || fail "toolkit header alone"
"$W/min_ae" || fail "minimal toolkit program"

"$SEMHASH" index -q -i "$W/idx" --set model.encoder=simhash "$SEMHASH_SRC/corpora/tiny/topics.jsonl" \
    || fail "index"
"$W/example" "$W/idx" "comet tail ice orbit" "onions garlic tomatoes sauce" \
    "telescope galaxy redshift" >"$W/out" 2>"$W/err" || { cat "$W/err"; fail "example run"; }
for q in 1 2 3; do
    test "$(grep -c "^$q " "$W/out")" -eq 5 || { cat "$W/out"; fail "query $q: want 5 hits"; }
done
grep -q '^libsemhash [0-9]' "$W/err" || fail "version"
# the nearest documents are on the query's topic
grep '^1 ' "$W/out" | head -n 1 | grep -q ' astronomy-' || { cat "$W/out"; fail "query 1 answer"; }
grep '^2 ' "$W/out" | head -n 1 | grep -q ' cooking-' || { cat "$W/out"; fail "query 2 answer"; }
grep '^3 ' "$W/out" | head -n 1 | grep -q ' astronomy-' || { cat "$W/out"; fail "query 3 answer"; }
# bad index: message from the library, exit 1
if "$W/example" "$W/nowhere" x 2>"$W/err"; then fail "missing index accepted"; fi
grep -q 'SH_ENOTFOUND' "$W/err" || { cat "$W/err"; fail "missing index message"; }

# the toolkit: the 5 planted rows (20..24) are flagged, at most 2 of the 20 normal ones
"$W/ae_example" "$W/detector.model" >"$W/out" 2>"$W/err" || { cat "$W/err"; fail "ae_example run"; }
grep -q '^threshold .* (anomaly, 8 inputs)$' "$W/out" || { cat "$W/out"; fail "threshold line"; }
planted=$(awk '$1 >= 20 && $3 == 1' "$W/out" | wc -l)
normal=$(awk '$1 ~ /^[0-9]+$/ && $1 < 20 && $3 == 1' "$W/out" | wc -l)
test "$planted" -eq 5 || { cat "$W/out"; fail "$planted of 5 planted rows flagged"; }
test "$normal" -le 2 || { cat "$W/out"; fail "$normal of 20 normal rows flagged"; }
grep -q 'sh_ae_classify: .*anomaly' "$W/err" || { cat "$W/err"; fail "refusal message"; }
if "$W/ae_example" "$W/no-such-dir/m.model" 2>"$W/err"; then fail "saved into a missing directory"; fi
grep -q 'no-such-dir' "$W/err" || { cat "$W/err"; fail "save error names the path"; }
make -s uninstall DESTDIR="$dest" PREFIX=/opt/sh >/dev/null
echo "frontend ok"
