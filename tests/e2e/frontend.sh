#!/bin/sh
# The example frontend (tests/frontend/example.c) builds against the
# INSTALLED library with pkg-config and answers queries from several
# threads on an index made by the CLI.
set -eu
W="$TMPDIR_E2E"
dest="$W/dest"
fail() { echo "FAIL: $*"; exit 1; }
make -s install DESTDIR="$dest" PREFIX=/opt/sh >/dev/null
test -f "$dest/opt/sh/include/semhash.h" || fail "semhash.h not installed"
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
# the header alone, in strict C99, is enough for a program
printf '#include <semhash.h>\nint main(void) { return sh_version()[0] == 0; }\n' >"$W/min.c"
# shellcheck disable=SC2086
cc -std=c99 -pedantic -Wall -Werror -o "$W/min" "$W/min.c" $flags || fail "header alone"
export LD_LIBRARY_PATH="$dest/opt/sh/lib"
"$W/min" || fail "minimal program"

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
make -s uninstall DESTDIR="$dest" PREFIX=/opt/sh >/dev/null
echo "frontend ok"
