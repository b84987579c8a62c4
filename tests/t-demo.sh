#!/bin/sh
# hm: make demo's pipeline runs: two dynamic steps baked at run time, the
# shards the detect step chose, one report per shard, and the branch the
# minute picks (a stub date first in PATH makes it deterministic).
. "$(dirname "$0")/lib.sh"
cd "$TOP" || exit 1
mkdir -p "$TMP/bin"
for minute in 30 17; do
	printf '#!/bin/sh\necho %s\n' "$minute" >"$TMP/bin/date"
	chmod +x "$TMP/bin/date"
	PATH="$TMP/bin:$PATH" O="$O" sh examples/demo.sh >"$TMP/out.$minute" 2>&1
	check "demo exits 0 (minute $minute)" test $? -eq 0
	# a step that passed is its header line
	check "both shards ran" grep -q '^--- shard 3: passed' "$TMP/out.$minute"
	check "one report per shard" test "$(grep -c '^--- report (shard [13]): passed' "$TMP/out.$minute")" -eq 2
	check "the expanded graph is valid IR" "$HM_LOWER" --check .hm/demo/expanded.json
done
check "minute 30: half-hour branch" grep -q 'logic-for-half-hour' "$TMP/out.30"
check "minute 17: the other branch" grep -q 'logic-for-else' "$TMP/out.17"
checks=$((checks + 1))
grep -q 'logic-for-half-hour' "$TMP/out.17" && fail "minute 17 took the half-hour branch"
finish
