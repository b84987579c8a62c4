#!/bin/sh
# hm: the bench generator (bench/gen-ir.c) builds without warnings under
# gcc and clang, is deterministic, writes exactly STEPS steps with the
# promised mix, and its output (1,000 steps, v1 and v0) is valid JSON
# with unique keys and resolving references, valid against the JSON
# Schemas, that hm-lower --check accepts.
. "$(dirname "$0")/lib.sh"
. "$TOP/bench/lib.sh"

GEN="$TMP/cc/gen-ir"
check "gen-ir builds with ${CC:-cc}" bench_cc gen-ir "$TMP/cc"
check "maxrss builds with ${CC:-cc}" bench_cc maxrss "$TMP/cc"
check "spawnloop builds with ${CC:-cc}" bench_cc spawnloop "$TMP/cc"
check "spawnloop runs 10 shells two at a time" "$TMP/cc/spawnloop" 10 2
build_with() {
	(CC=$1 && bench_cc gen-ir "$TMP/$1" && bench_cc maxrss "$TMP/$1" &&
		bench_cc spawnloop "$TMP/$1")
}
for c in gcc clang; do
	command -v "$c" >/dev/null 2>&1 || continue
	check "gen-ir and maxrss build with $c" build_with "$c"
done
[ -x "$GEN" ] || finish

"$GEN" 1000 >"$TMP/v1.json"
check "gen-ir 1000 exits 0" test $? -eq 0
"$GEN" --v0 1000 >"$TMP/v0.json"
check "gen-ir --v0 1000 exits 0" test $? -eq 0

# Deterministic: same arguments, same bytes (whatever the compiler);
# another seed, another document.
"$GEN" 1000 1 >"$TMP/again.json"
same "$TMP/v1.json" "$TMP/again.json" "gen-ir 1000 and gen-ir 1000 1 differ"
for c in gcc clang; do
	[ -x "$TMP/$c/gen-ir" ] || continue
	"$TMP/$c/gen-ir" 1000 >"$TMP/$c.json"
	same "$TMP/v1.json" "$TMP/$c.json" "gen-ir built with $c differs"
done
"$GEN" 1000 2 >"$TMP/seed2.json"
# shellcheck disable=SC2016 # expanded by the inner shell
check "seed 2 gives another document" \
	sh -c '! cmp -s "$1" "$2"' sh "$TMP/v1.json" "$TMP/seed2.json"
must_fail 64 "gen-ir -x is a usage error" "$GEN" -x 2>/dev/null
must_fail 64 "gen-ir abc is a usage error" "$GEN" abc 2>/dev/null

# Valid JSON, exactly 1000 step objects, unique keys, every reference
# resolving (checked with jq, independently of hm-lower).
# shellcheck disable=SC2016 # jq variables
count='[.. | objects | select(.type == "command" or .type == "wait" or
	.type == "group")] | length'
# shellcheck disable=SC2016 # jq variables
refs='[.. | objects | select(.type == "command" or .type == "group")] as $s
	| ($s | map(.key)) as $k
	| (($k | unique | length) == ($k | length)) and
	  ([$s[] | (.builds_in // empty), (.depends_on // [])[],
	    (.continue_in // empty)] - $k | length) == 0'
for f in v1 v0; do
	check "jq parses the $f document" jq -e . "$TMP/$f.json" >/dev/null
	check "the $f document has 1000 steps" \
		test "$(jq "$count" "$TMP/$f.json")" = 1000
	check "$f: keys unique, references resolve" \
		jq -e "$refs" "$TMP/$f.json" >/dev/null
done

# The mix the benchmark promises.
for want in \
	'.steps | any(.type == "wait")' \
	'[.. | objects | select(.type == "group")] | length >= 10' \
	'[.. | objects | select(.continue == "each")] | length > 0' \
	'[.. | objects | select(.continue == "join")] | length > 0' \
	'[.. | objects | select(.continue_in)] | length > 0' \
	'[.. | objects | select(.type == "group") | .steps[] |
		select(.type == "group")] | length > 0' \
	'[.. | objects | select(.type == "group") | .steps[] |
		select(.type == "wait")] | length > 0' \
	'[.steps[] | select(.builds_in and (.builds_in | startswith("g")))]
		| length > 0' \
	'[.. | objects | select(.depends_on)] | length > 0' \
	'[.. | objects | select(.cache.key)] | length > 0' \
	'[.. | objects | select(.env)] | length > 0' \
	'[.. | objects | select(.timeout_seconds)] | length > 0' \
	'[.. | objects | .label? // empty | select(test("[^\\u0000-\\u007f]"))]
		| length > 0' \
	'[.. | objects | .label? // empty | select(test("[\\n\\t\"\\\\]"))]
		| length > 0'; do
	check "v1 mix: $want" jq -e "$want" "$TMP/v1.json" >/dev/null
done
check "v0: cmd at top level, no groups, no depends_on" jq -e '
	all(.steps[]; .type == "wait" or (.cmd and (.eval | not) and
	    (.depends_on | not)))' "$TMP/v0.json" >/dev/null

# The JSON Schemas of ir-spec/ accept both (when setup installed ajv).
AJV="$TOP/.deps/node_modules/.bin/ajv"
if [ -x "$AJV" ]; then
	for f in v1 v0; do
		check "the $f document is valid against hm-ir-$f.schema.json" \
			"$AJV" validate --spec=draft2020 --strict=false \
			-c ajv-formats -s "$TOP/ir-spec/hm-ir-$f.schema.json" \
			-d "$TMP/$f.json" >/dev/null 2>&1
	done
fi

# hm-lower accepts both, silently; its canonical compact form is jq's
# (the generator writes the canonical field order).
for f in v1 v0; do
	"$HM_LOWER" --check "$TMP/$f.json" 2>"$TMP/$f.err"
	check "hm-lower --check accepts the $f document" test $? -eq 0
	check "hm-lower --check is silent on the $f document" \
		test ! -s "$TMP/$f.err"
done
"$HM_LOWER" --compact "$TMP/v1.json" >"$TMP/v1.hm" 2>/dev/null
jq -c . "$TMP/v1.json" >"$TMP/v1.jq"
checks=$((checks + 1))
if ! cmp -s "$TMP/v1.hm" "$TMP/v1.jq"; then
	# one long line each: show where they part, not a diff
	at=$(cmp "$TMP/v1.hm" "$TMP/v1.jq" 2>&1 | sed -n 's/.* byte \([0-9]*\).*/\1/p')
	fail "hm-lower --compact and jq -c differ (v1) at byte ${at:-?}"
	for f in v1.hm v1.jq; do
		printf '%s: ' "$f" >&2
		tail -c "+$(( ${at:-1} > 100 ? ${at:-1} - 100 : 1 ))" "$TMP/$f" |
			head -c 200 >&2
		echo >&2
	done
fi
"$HM_LOWER" "$TMP/v0.json" >"$TMP/v0.hm" 2>/dev/null
check "hm-lower --check accepts hm-lower's v1 of the v0 document" \
	"$HM_LOWER" --check "$TMP/v0.hm"
finish
