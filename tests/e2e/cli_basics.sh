#!/bin/sh
# The program's top-level behaviour: help, version, unknown commands.
set -eu
"$SEMHASH" --help | grep -q '^usage: semhash' || { echo "--help lacks usage"; exit 1; }
"$SEMHASH" --version | grep -q '^semhash ' || { echo "--version wrong"; exit 1; }
if "$SEMHASH" no-such-command 2>"$TMPDIR_E2E/err"; then
    echo "unknown command exited 0"; exit 1
fi
status=0; "$SEMHASH" no-such-command 2>/dev/null || status=$?
test "$status" -eq 2 || { echo "unknown command exit status $status, want 2"; exit 1; }
grep -q "unknown command 'no-such-command'" "$TMPDIR_E2E/err" || { echo "no clear message"; cat "$TMPDIR_E2E/err"; exit 1; }
status=0; "$SEMHASH" 2>/dev/null || status=$?
test "$status" -eq 2 || { echo "no arguments: exit $status, want 2"; exit 1; }
echo "cli basics ok"
