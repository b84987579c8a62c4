#!/bin/sh
# hm: what machines and people read after a run: the JUnit report
# validated against the JUnit schema CI servers read (testdata/junit,
# with xmllint), the Chrome trace, the HTML report in headless Chromium
# (tests/browser.mjs), replicas by label everywhere, and the runs kept
# under .hm/.
. "$(dirname "$0")/lib.sh"
D="$TOP/testdata/exec/display"
XSD="$TOP/testdata/junit/junit.xsd"
cd "$TMP" || exit 1
LC_ALL=C
export LC_ALL
for c in xmllint jq node chromium; do
	command -v "$c" >/dev/null 2>&1 || { fail "$c is not installed (run scripts/setup.sh)"; finish; }
done

valid() {
	check "$1 is valid JUnit" xmllint --noout --schema "$XSD" "$1" 2>/dev/null
}

cp "$D/run.json" "$D/build.mk" "$D/ok.c" "$D/broken.c" .
"$HM_EXEC" -j2 --junit fail.xml --report fail.html --trace fail.trace.json \
	--events fail.jsonl run.json >out 2>&1
check "the run fails" test $? -eq 1

# JUnit: the schema, classnames by group, replicas by label
valid fail.xml
sed 's/<testcase classname/<testcase nombre/' fail.xml >bad.xml
must_fail 3 "the schema rejects what it should" xmllint --noout --schema "$XSD" bad.xml 2>/dev/null
check "classname from the group path" grep -q '<testcase classname="ci.tests" name="unit"' fail.xml
check "a replica by label" grep -q 'name="report (unit)"' fail.xml
check "the failure's excerpt" grep -q "broken.c:[0-9]*:[0-9]*: error:" fail.xml
check "counts" grep -q '<testsuite name="ci" tests="6" failures="1" errors="0" skipped="4"' fail.xml
check "events: a replica by label" grep -q '"key":"report@tests/unit","label":"report (unit)"' fail.jsonl

# flaky: passed after a retry; a placeholder is not a test, its failed
# bake is; an interrupted run's running step is an error
cat >f.json <<'EOF2'
{"version":"1","source":{"pipeline":"ci","definition":"none.yml"},"steps":[
 {"type":"command","key":"net","eval":{"type":"cmd","cmd":"if [ $HM_ATTEMPT = 1 ]; then echo 'FAILED connect'; exit 3; fi"},"builds_in":null,"retry":2},
 {"type":"command","key":"gen","eval":{"type":"dynamic","target_name":"t"},"builds_in":null},
 {"type":"command","key":"nobake","eval":{"type":"dynamic","target_name":"t"},"builds_in":"gen"}
]}
EOF2
# (the definition dynamic steps bake from must exist when the run starts)
: >none.yml
"$HM_EXEC" -k --bake /bin/false --junit flaky.xml f.json >/dev/null 2>&1
valid flaky.xml
check "flaky: passed after a retry" grep -q '<flakyFailure type="failed" message="attempt 1: exit status 3"/>' flaky.xml
check "a failed bake is a test" grep -q 'name="gen"' flaky.xml
check "a placeholder never baked is not" sh -c "! grep -q 'name=\"nobake\"' flaky.xml"
cat >i.json <<'EOF2'
{"version":"1","steps":[
 {"type":"command","key":"long","eval":{"type":"cmd","cmd":"touch started; sleep 30"},"builds_in":null},
 {"type":"command","key":"after","eval":{"type":"cmd","cmd":"true"},"builds_in":"long"}
]}
EOF2
"$HM_EXEC" --grace 1 --junit int.xml i.json >/dev/null 2>&1 &
pid=$!
i=0
while [ ! -e started ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
kill -INT $pid
wait $pid
valid int.xml
check "interrupted: the running step is an error" grep -q '<error type="interrupted"' int.xml
check "interrupted: the rest is skipped" grep -q 'errors="1" skipped="1"' int.xml

# the trace: an event per attempt, in a job slot's lane
check "trace is JSON" jq -e . fail.trace.json >/dev/null
check "an X event per attempt" test "$(jq '[.traceEvents[] | select(.ph == "X")] | length' fail.trace.json)" -eq 2
check "each with its fields" jq -e '[.traceEvents[] | select(.ph == "X") | select(.name and .cat and (.ts | type == "number") and (.dur | type == "number") and .pid and (.tid >= 1 and .tid <= 2))] | length == 2' fail.trace.json >/dev/null
check "a name per lane" jq -e '[.traceEvents[] | select(.ph == "M" and .name == "thread_name")] | length == 2' fail.trace.json >/dev/null
"$HM_EXEC" --bake /bin/false --trace bake.trace.json f.json >/dev/null 2>&1
check "a bake's span" jq -e '[.traceEvents[] | select(.cat == "bake")] | length >= 1' bake.trace.json >/dev/null

# a bake that succeeded: a span of category bake in the trace, before the
# steps it made; in JUnit the baked steps are the tests, not the
# placeholder, grouped by the placeholder's key; replicas by label
mkdir bake && cd bake || exit 1
sed -e "s|DEF|$TOP/testdata/exec/def.yml|" -e "s|TARGET|three|" \
	-e 's|CONT|,"continue":"each"|' "$TOP/testdata/exec/dyn.json" >each.json
FRAGS="$TOP/testdata/exec" "$HM_EXEC" -j2 \
	--bake "$TOP/testdata/exec/baker.sh" --trace t.json \
	--junit j.xml each.json >out 2>&1
check "the baking run passes" test $? -eq 0
check "the bake is one span, category bake" test "$(jq -c '[.traceEvents[] | select(.ph == "X" and .cat == "bake") | .name]' t.json)" = '["variants"]'
check "the baked steps start after the bake ends" jq -e '([.traceEvents[] | select(.cat == "bake")][0] | .ts + .dur) as $bake_end | [.traceEvents[] | select(.ph == "X" and (.name | startswith("variants/")))] | length == 3 and all(.ts >= $bake_end)' t.json >/dev/null
valid j.xml
check "8 tests: the placeholder is not one" grep -q '<testsuite name="hm-exec" tests="8" failures="0" errors="0" skipped="0"' j.xml
check "no testcase for the placeholder" sh -c "! grep -q 'name=\"variants\"' j.xml"
check "baked steps grouped by the placeholder" test "$(grep -c '<testcase classname="hm.variants" name="variants/' j.xml)" -eq 3
check "replicas by label" grep -q '<testcase classname="hm" name="test (variants/asan)"' j.xml
cd .. || exit 1

# the report, in the browser
if node --experimental-websocket --no-warnings "$TOP/tests/browser.mjs" \
    fail.html "$TOP/$O/tests/report.png" >seen.json 2>browser.err; then
	check "report: no console message or error" jq -e '.console == [] and .errors == [] and .requests == []' seen.json >/dev/null
	for ks in configure=passed build=failed tests/unit=skipped tests/lint=skipped "report@tests/unit=skipped" "report@tests/lint=skipped"; do
		key=${ks%=*} st=${ks##*=}
		check "report: '$key' $st in the timeline" jq -e --arg k "$key" --arg s "$st" '[.rows[] | select(.key == $k and .status == $s and .shown)] | length == 1' seen.json >/dev/null
		check "report: '$key' $st in the graph" jq -e --arg k "$key" --arg s "$st" '[.nodes[] | select(.key == $k and .status == $s and .shown)] | length == 1' seen.json >/dev/null
	done
	check "report: every step, once" jq -e '(.rows | length) == 6 and (.nodes | length) == 6' seen.json >/dev/null
	check "report: the replica's label" grep -q 'report (unit)' fail.html
	check "report: the compiler's error, collapsed" jq -e '[.details[] | select(.open)] == []' seen.json >/dev/null
	check "report: the excerpt" grep -q "broken.c:[0-9]*:[0-9]*: error:" fail.html
	check "report: a screenshot" test -s "$TOP/$O/tests/report.png"
else
	fail "the browser could not load the report: $(tail -3 browser.err)"
fi

# .hm/: ignored by git, old runs pruned
mkdir -p keep && cd keep || exit 1
for n in 1 2 3 4; do
	"$HM_EXEC" --keep-runs 3 ../f.json >/dev/null 2>&1
	sleep 1
done
check ".hm/.gitignore ignores everything" test "$(cat .hm/.gitignore)" = '*'
check "--keep-runs 3 keeps 3 runs" test "$(ls .hm/logs | grep -c '^[0-9]\{8\}T')" -eq 3
check "latest names the newest" test "$(readlink .hm/logs/latest)" = "$(ls .hm/logs | grep '^[0-9]\{8\}T' | tail -1)"
finish
