#!/bin/sh
# hm: the HTML report in a real browser: Debian's Chromium, headless,
# driven over the DevTools protocol by tests/browser.mjs. The page must
# load with no console message, no error and no request beyond the file,
# show every step in the timeline and the graph with its status, keep
# each excerpt collapsed; the screenshot is kept as a test artifact
# ($O/tests/report.png).
. "$(dirname "$0")/lib.sh"
cd "$TOP" || exit 1

for c in chromium node jq; do
	command -v "$c" >/dev/null 2>&1 || { fail "$c is not installed (run scripts/setup.sh)"; finish; }
done

# browser_check HTML PNG KEY=STATUS...: load it and check each step.
browser_check() {
	html=$1 png=$2; shift 2
	if ! node --experimental-websocket --no-warnings tests/browser.mjs \
	    "$html" "$png" >"$TMP/seen.json" 2>"$TMP/browser.err"; then
		fail "$html: the browser could not load it: $(tail -3 "$TMP/browser.err")"
		return
	fi
	check "$html: no console message" jq -e '.console == []' "$TMP/seen.json" >/dev/null
	check "$html: no error" jq -e '.errors == []' "$TMP/seen.json" >/dev/null
	check "$html: nothing fetched" jq -e '.requests == []' "$TMP/seen.json" >/dev/null
	check "$html: excerpts collapsed" jq -e '[.details[] | select(.open)] == []' "$TMP/seen.json" >/dev/null
	check "$html: a screenshot" test -s "$png"
	n=0
	for ks in "$@"; do
		n=$((n + 1))
		key=${ks%=*} st=${ks##*=}
		check "$html: '$key' is $st in the timeline" jq -e --arg k "$key" --arg s "$st" \
			'[.rows[] | select(.key == $k and .status == $s and .shown)] | length == 1' \
			"$TMP/seen.json" >/dev/null
		check "$html: '$key' is $st in the graph" jq -e --arg k "$key" --arg s "$st" \
			'[.nodes[] | select(.key == $k and .status == $s and .shown)] | length == 1' \
			"$TMP/seen.json" >/dev/null
	done
	check "$html: $n rows" jq -e --argjson n "$n" '(.rows | length) == $n' "$TMP/seen.json" >/dev/null
}

# The unit test's made-up run (tests/unit/test_exec_report.c).
sample="$O/tests/report-sample.html"
if [ -f "$sample" ]; then
	browser_check "$sample" "$O/tests/report-sample.png" build=passed \
		shards=passed shards/1=passed shards/2=passed \
		report@shards/1=passed report@shards/2=failed upload=skipped \
		notify=canceled
else
	fail "$sample is missing: test_exec_report writes it"
fi
finish
