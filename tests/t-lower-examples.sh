#!/bin/sh
# hm: run every command of the EXAMPLES section of hm-lower(1) on the small
# inputs in testdata/examples/ and check the outcome. Needs build/hm-lower;
# the hm-bake and hm-exec examples also need those tools built.
. "$(dirname "$0")/lib.sh"
cd "$TOP" || exit 1
E=testdata/examples

if [ ! -x "$HM_LOWER" ]; then
	fail "no $HM_LOWER: build it first"
	finish
fi
PATH="$TOP/$O:$PATH"
export PATH

# $ hm-bake ci.yml | hm-lower
# Every YAML example that hm-bake accepts must lower cleanly; without
# hm-bake, the same pipe from a file.
check "pipe: cat ci.json | hm-lower" sh -c \
	'cat "$1" | hm-lower >"$2"' sh "$E/ci.json" "$TMP/pipe.json"
same "$E/ci.json" "$TMP/pipe.json" "pipe: canonical input comes out unchanged"
if [ -x "$HM_BAKE" ]; then
	for y in examples/*.yml; do
		[ -f "$y" ] || continue
		check "pipe: hm-bake $y | hm-lower" sh -c \
			'hm-bake "$1" | hm-lower >/dev/null' sh "$y"
	done
fi

# $ hm-lower legacy.json > ci.json
check "legacy: hm-lower legacy.json > ci.json" sh -c \
	'hm-lower "$1" >"$2"' sh "$E/legacy.json" "$TMP/ci.json"
same "$E/legacy.golden.json" "$TMP/ci.json" "legacy: the v1 document of ir-spec/v0.md"

# $ hm-lower --pipeline release pipelines.json > release.json
check "envelope: hm-lower --pipeline release" sh -c \
	'hm-lower --pipeline release "$1" >"$2"' sh "$E/pipelines.json" "$TMP/release.json"
same "$E/release.golden.json" "$TMP/release.json" "envelope: the release pipeline"
must_fail 65 "envelope: two pipelines and no --pipeline" \
	sh -c 'hm-lower "$1" >/dev/null 2>&1' sh "$E/pipelines.json"

# pre-commit: tests/t-precommit.sh runs the hooks with pre-commit itself.

# $ hm-lower x.json | cmp - x.golden.json
check "golden: hm-lower x.json | cmp - x.golden.json" sh -c \
	'hm-lower "$1" | cmp - "$2"' sh "$E/x.json" "$E/x.golden.json"

# $ hm-lower --check x.json legacy.json
check "check: hm-lower --check x.json legacy.json" sh -c \
	'out=$(hm-lower --check "$1" "$2" 2>&1) && [ -z "$out" ]' sh \
	"$E/x.json" "$E/legacy.json"

# $ hm-bake ci.yml | hm-lower --diff ci.hm.json -
# with the output the page shows, from the definition before and after
if [ -x "$HM_BAKE" ]; then
	mkdir "$TMP/diff"
	printf 'targets:\n  build: [{sh: make, label: build}]\npipelines:\n  ci: [build]\n' >"$TMP/diff/ci.yml"
	(cd "$TMP/diff" && hm-bake ci.yml >ci.hm.json)
	printf 'targets:\n  build: [{sh: make -j4, label: build}]\n  lint: [{sh: make lint, label: lint}]\npipelines:\n  ci: [build, lint]\n' >"$TMP/diff/ci.yml"
	must_fail 1 "diff: hm-bake ci.yml | hm-lower --diff ci.hm.json -" sh -c \
		'cd "$1" && hm-bake ci.yml | hm-lower --diff ci.hm.json - >got' sh "$TMP/diff"
	sed -n '/^\$ hm-bake ci.yml | hm-lower --diff/,/^\.Ed/p' man/hm-lower.1 |
		sed '1d;$d' >"$TMP/diff/want"
	same "$TMP/diff/want" "$TMP/diff/got" "diff: the output the page shows"
fi

# $ hm-lower x.json | hm-lower | cmp - <(hm-lower x.json)
# (a temporary file for the process substitution, which sh lacks)
for f in "$E/x.json" "$E/legacy.json" "$E/ci.json"; do
	check "idempotence: $f" sh -c \
		'hm-lower "$1" >"$2" && hm-lower "$1" | hm-lower | cmp - "$2"' \
		sh "$f" "$TMP/once.json"
done
if command -v bash >/dev/null 2>&1; then
	check "idempotence, as written in the manual" bash -c \
		'hm-lower "$1" | hm-lower | cmp - <(hm-lower "$1")' bash "$E/x.json"
fi

# $ hm-lower --dot ci.json | dot -Tsvg > ci.svg
check "dot: hm-lower --dot ci.json | dot -Tsvg > ci.svg" sh -c \
	'hm-lower --dot "$1" | dot -Tsvg >"$2"' sh "$E/ci.json" "$TMP/ci.svg"
checks=$((checks + 1))
grep -q '<svg' "$TMP/ci.svg" || fail "dot: no SVG written"
hm-lower --dot "$E/ci.json" >"$TMP/ci.dot"
checks=$((checks + 1))
grep -q dashed "$TMP/ci.dot" || fail "dot: the dynamic step is not drawn dashed"

# $ hm-exec --emit-ir run.json ci.json && hm-lower --dot run.json | dot -Tsvg > run.svg
# The run needs hm-exec and a definition to bake; x.json's document has
# no dynamic step that needs baking before its end, so use a static one.
if [ -x "$HM_EXEC" ]; then
	printf '{"version": "1", "steps": [{"type": "command", "key": "hi", "eval": {"type": "cmd", "cmd": "true"}, "builds_in": null}]}\n' >"$TMP/static.json"
	check "emit-ir: hm-exec --emit-ir, then hm-lower --dot" sh -c \
		'cd "$1" && hm-exec --emit-ir run.json static.json >/dev/null 2>&1 &&
		hm-lower --dot run.json | dot -Tsvg >run.svg' sh "$TMP"
fi

finish
