#!/bin/sh
# The README's main job. Replaced as the search engine lands.
set -eu
SEMHASH="$1"
"$SEMHASH" --version
