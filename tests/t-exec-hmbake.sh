#!/bin/sh
# hm: hm-bake | hm-exec end to end with the real hm-bake as the baker
# (found beside hm-exec), on testdata/exec/hmbake/ci.yml: a dynamic
# target joined and continued in.
. "$(dirname "$0")/lib.sh"
cd "$TMP" || exit 1
cp "$TOP/testdata/exec/hmbake/ci.yml" .
check "hm-bake | hm-exec" sh -c "'$HM_BAKE' ci.yml | '$HM_EXEC' --emit-ir e.json >out 2>&1"
check "order: build, the expansion, report" \
	test "$(tr '\n' ' ' <order 2>/dev/null)" = "build unit lint report "
check "expanded IR names the target" \
	test "$(jq -r '.steps[1].target_name' e.json 2>/dev/null)" = tests
[ "$fails" -eq 0 ] || cat out >&2
finish
