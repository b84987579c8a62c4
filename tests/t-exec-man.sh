#!/bin/sh
# hm: every EXAMPLES command of man/hm-exec.1, run as written (on a small
# definition, testdata/exec/hmbake/static.yml, copied as ci.yml).
. "$(dirname "$0")/lib.sh"
cd "$TMP" || exit 1
cp "$TOP/testdata/exec/hmbake/static.yml" ci.yml
PATH="$TOP/$O:$PATH"
export PATH
check "example 1" sh -c 'hm-bake ci.yml | hm-exec -j4 --emit-ir expanded.json >out1 2>&1'
check "example 1 ran" test "$(tr '\n' ' ' <order)" = "build test "
check "example 2" sh -c 'hm-exec -k --junit report.xml expanded.json >out2 2>&1'
check "example 2 junit" grep -q '<testsuites' report.xml
hm-bake ci.yml >ci.json
check "example 3" sh -c 'hm-exec -n ci.json >out3 2>&1'
check "example 3 plan" grep -q '^stage 2:' out3
check "example 4" sh -c "hm-exec --events - ci.json 2>/dev/null | jq -c 'select(.event == \"step_finished\")' >out4"
check "example 4 events" test "$(wc -l <out4)" -eq 2
# the examples in the page are these commands
for c in 'hm-bake ci.yml | hm-exec -j4 --emit-ir expanded.json' \
    'hm-exec -k --junit report.xml expanded.json' 'hm-exec -n ci.json'; do
	check "page shows '$c'" sh -c "mandoc -T ascii '$TOP/man/hm-exec.1' | grep -qF -- '$c'"
done
finish
