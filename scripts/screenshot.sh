#!/bin/sh
# hm: the README's picture of a run (make screenshot): a failing run of
# testdata/exec/display with -k (a unit test fails in Python's unittest,
# the rest goes on) with --report, loaded in Debian's headless Chromium
# by tests/browser.mjs, which saves doc/report.png. Review the picture
# before committing it.
: "${O:=build}"
cd "$(dirname "$0")/.." || exit 1
TOP=$(pwd)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/hm-shot.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT
cp testdata/exec/display/run.json testdata/exec/display/build.mk \
	testdata/exec/display/ok.c testdata/exec/display/test_mean.py \
	testdata/exec/display/test_median.py "$TMP/"
(cd "$TMP" && PYTHONDONTWRITEBYTECODE=1 LC_ALL=C "$TOP/$O/hm-exec" -k -j2 --report run.html \
	run.json >/dev/null 2>&1)
[ -s "$TMP/run.html" ] || { echo "screenshot: no report written" >&2; exit 1; }
node --experimental-websocket --no-warnings tests/browser.mjs \
	"$TMP/run.html" doc/report.png >/dev/null || exit 1
echo "doc/report.png"
