#!/bin/sh
# Does the repository map in the first request raise the pass rate? Runs one suite twice with one
# model, `[repo_map] start` off then on, and compares the two reports task by task (regressions
# first, then each side's pass rate with its 95% interval and the paired sign test):
#
#   examples/evals/repo_map_ab.sh MODEL [SUITE] [REPEAT]
#   examples/evals/repo_map_ab.sh claude-haiku-4-5 examples/evals/suite.toml 3
#
# Keep `auto` (map only for context windows up to 32,768 tokens) unless `on` wins significantly.
# Reports go to $OUT (default ./repo-map-ab); $REINS names the binary (default `reins`).
set -eu
model=${1:?usage: repo_map_ab.sh MODEL [SUITE] [REPEAT]}
suite=${2:-examples/evals/suite.toml}
repeat=${3:-3}
out=${OUT:-repo-map-ab}
reins=${REINS:-reins}
mkdir -p "$out"
for start in off on; do
    "$reins" eval "$suite" -m "$model" --repeat "$repeat" -c "repo_map.start=$start" \
        --json "$out/$start.json"
done
"$reins" eval compare "$out/off.json" "$out/on.json"
