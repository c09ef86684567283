#!/usr/bin/env bash
# Runs `sse-conformance check` for a CI job: the GitHub Action (action.yml) calls it, and any
# other CI can call it with the same variables. Exits with the CLI's exit code.
#   INPUT_URL        stream URL (required)
#   INPUT_ARGS       extra check arguments, split on whitespace (quote-free; use a baseline file
#                    or several reporters instead of arguments with spaces)
#   INPUT_BASELINE   baseline file (--expected-failures), optional
#   INPUT_JUNIT      JUnit XML path (default sse-conformance-junit.xml)
#   INPUT_REPORTERS  more reporters, space-separated <format>=<path>
#   INPUT_VERSION    version for npx when the project does not install sse-conformance (default latest)
#   GITHUB_STEP_SUMMARY  when set, the Markdown summary is written there
#   SSEC_CLI         command to run instead of the project's or npx's sse-conformance
set -uo pipefail
url="${INPUT_URL:-}"
if [ -z "$url" ]; then echo "sse-conformance check: INPUT_URL is empty (the action's 'url' input)" >&2; exit 64; fi
if [ -n "${SSEC_CLI:-}" ]; then
  read -r -a cli <<<"$SSEC_CLI"
elif [ -x node_modules/.bin/sse-conformance ]; then
  cli=(node_modules/.bin/sse-conformance)
else
  cli=(npx --yes "sse-conformance@${INPUT_VERSION:-latest}")
fi
args=(check "$url" --reporter text --reporter "junit=${INPUT_JUNIT:-sse-conformance-junit.xml}")
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then args+=(--reporter "markdown=$GITHUB_STEP_SUMMARY"); fi
if [ -n "${INPUT_BASELINE:-}" ]; then args+=(--expected-failures "$INPUT_BASELINE"); fi
for r in ${INPUT_REPORTERS:-}; do args+=(--reporter "$r"); done
# Word splitting of the extra arguments is the documented contract; globbing is not (--case 'x.*').
set -f
# shellcheck disable=SC2206
extra=(${INPUT_ARGS:-})
set +f
echo "+ ${cli[*]} ${args[*]} ${extra[*]}" >&2
"${cli[@]}" "${args[@]}" "${extra[@]}"
