#!/bin/sh
# hm: golden tests for hm-lower --diff. For each testdata/lower-diff/
# NAME.a.json, NAME.out holds "exit N", then what `hm-lower --diff
# NAME.a.json NAME.b.json` printed on stdout, then on stderr. With
# --regenerate, the expectations are written instead.
. "$(dirname "$0")/lib.sh"
regen=0
[ "${1:-}" = "--regenerate" ] && regen=1
cd "$TOP" || exit 1
D=testdata/lower-diff

for a in $D/*.a.json; do
	n=${a%.a.json}
	"$HM_LOWER" --diff "$a" "$n.b.json" >"$TMP/out" 2>"$TMP/err"
	status=$?
	{ echo "exit $status"; cat "$TMP/out" "$TMP/err"; } >"$TMP/got"
	if [ "$regen" = 1 ]; then
		cp "$TMP/got" "$n.out"
		continue
	fi
	same "$n.out" "$TMP/got" "$n: hm-lower --diff output differs from $n.out"
	# the difference is symmetric: from b to a, as many steps differ
	if [ "$status" -le 1 ]; then
		"$HM_LOWER" --diff "$n.b.json" "$a" >"$TMP/back" 2>&1
		checks=$((checks + 1))
		[ "$(grep -c '^[-+~] ' "$TMP/out")" = "$(grep -c '^[-+~] ' "$TMP/back")" ] ||
			fail "$n: b to a differs in another number of steps than a to b"
	fi
done
# a document is the same as itself and its canonical form
for f in testdata/examples/ci.json testdata/examples/x.json; do
	"$HM_LOWER" "$f" >"$TMP/canon.json"
	"$HM_LOWER" --compact "$f" >"$TMP/compact.json"
	must_fail 0 "$f: no difference from itself" "$HM_LOWER" --diff "$f" "$f"
	must_fail 0 "$f: no difference from its compact form" \
		"$HM_LOWER" --diff "$TMP/canon.json" "$TMP/compact.json"
	checks=$((checks + 1))
	[ -z "$("$HM_LOWER" --diff "$f" "$TMP/canon.json")" ] ||
		fail "$f: --diff printed something for equal documents"
done
must_fail 64 "--diff needs two files" "$HM_LOWER" --diff "$D/same.a.json" 2>/dev/null
must_fail 66 "--diff with a missing file" "$HM_LOWER" --diff "$D/same.a.json" "$TMP/nope.json" 2>/dev/null
finish
