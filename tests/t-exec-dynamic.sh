#!/bin/sh
# hm: hm-exec bakes dynamic steps: one leaf, a group in each continuation
# mode, nesting, outputs seen by the baker, and every failure: a failing
# bake, a timeout, an invalid fragment, keys outside KEY/ or colliding, a
# reference downstream, the depth limit, several leaves with no
# continuation. Test baker: testdata/exec/baker.sh.
. "$(dirname "$0")/lib.sh"
D="$TOP/testdata/exec"
cd "$TMP" || exit 1
X="$HM_EXEC"
B="$D/baker.sh"
# the baker reads hm-exec's copy of def.yml: the fragments are here
FRAGS=$D
export FRAGS

# mk TARGET CONT >FILE: testdata/exec/dyn.json for a target and a
# continuation (CONT: JSON text after target_name, e.g. ,"continue":"each")
mk() {
	sed -e "s|DEF|$D/def.yml|" -e "s|TARGET|$1|" -e "s|CONT|${2:-}|" "$D/dyn.json"
}
lines() { tr '\n' ' ' <order; }

# 1. one leaf: test continues in it; the placeholder's env is inherited
mk one >one.json
check "one leaf" "$X" -j2 --bake "$B" --emit-ir e1.json --events ev.jsonl one.json >out 2>&1
check "one leaf: order" test "$(lines)" = "build one JOBS=4 test:test after "
check "bake's stderr in its log" grep -q 'baking target one under variants' .hm/logs/latest/variants.log
check "fragment kept beside the log" test -s .hm/logs/latest/variants.fragment.json
check "expanded event names new keys" test "$(jq -c 'select(.event=="dynamic_expanded") | .keys' ev.jsonl)" = '["variants/only"]'
check "emit-ir: a group with target_name" test "$(jq -r '.steps[1] | .type + " " + .target_name + " " + .steps[0].env.JOBS' e1.json)" = "group one 4"
rm -f order
check "emit-ir re-runs without baking" "$X" --bake /nonexistent e1.json >out 2>&1
check "re-run: same steps" test "$(lines)" = "build one JOBS=4 test:test after "
rm -f order

# 2. three leaves, each continuation
mk three ',"continue":"each"' >each.json
check "each" "$X" -j1 --bake "$B" each.json >out 2>&1
check "each: one test replica per leaf" test "$(grep -c '^test:test@variants/' order)" = 3
check "each: after runs last" test "$(tail -1 order)" = after
rm -f order
FAIL_ASAN=1 "$X" -j1 --bake "$B" each.json >out 2>&1
check "each + failed leaf: exit 1" test $? -eq 1
rm -f order
FAIL_ASAN=1 "$X" -k -j1 --bake "$B" each.json >out 2>&1
check "each: failed leaf skips its replica only" grep -q -- '--- test (variants/asan): skipped' out
check "each: other replicas run" test "$(grep -c '^test:test@variants/' order)" = 2
check "each: depends_on all replicas: skipped" grep -q -- '--- after: skipped' out
rm -f order
mk three ',"continue":"join"' >join.json
check "join" "$X" -j2 --bake "$B" join.json >out 2>&1
check "join: test once after all three" test "$(sed -n 5p order)" = "test:test"
rm -f order
mk three-in >in.json
check "fragment's continue_in" "$X" -j2 --bake "$B" in.json >out 2>&1
check "continue_in: test once" test "$(grep -c '^test:' order)" = 1
rm -f order
mk three >amb.json
must_fail 1 "several leaves, no continuation" "$X" --bake "$B" amb.json >out 2>&1
check "ambiguous: placeholder fails with a message" grep -q "dynamic step 'variants': its expansion does not fit the run" out
check "ambiguous: members never ran" test "$(lines)" = "build "
check "ambiguous: log explains" grep -q "builds in group 'variants', which has 3 leaves" .hm/logs/latest/variants.log
rm -f order

# 3. nested: outer bakes a fragment with its own dynamic step
mk outer ',"continue":"join"' >nest.json
BAKE_LOG=$TMP/bakes check "nested" "$X" -j2 --bake "$B" --emit-ir en.json nest.json >out 2>&1
check "nested: inner bake got its own prefix" grep -q '^inner variants/inner ' bakes
check "nested: all ran" test "$(sort order | tr '\n' ' ')" = "after build py311 py312 test:test unit "
check "nested: expanded IR nests groups" test "$(jq -r '.steps[1].steps[1].steps[0].key' en.json)" = variants/inner/py311
rm -f order bakes
mk self ',"continue":"join"' >self.json
must_fail 1 "depth limit" "$X" --max-depth 3 --bake "$B" self.json >out 2>&1
check "depth limit message" grep -q "dynamic step 'variants/again/again/again' is nested 4 deep, beyond the limit of 3 (--max-depth)" out
rm -f order

# 4. failures fail the placeholder like a command
mk fail >f.json
must_fail 1 "failing bake" "$X" --bake "$B" f.json >out 2>&1
check "failing bake: message" grep -q "failed: variants: dynamic step 'variants': the baker exited with status 3" out
check "failing bake: dependents skipped" grep -q -- '--- test: skipped' out
mk invalid >inv.json
must_fail 1 "invalid fragment" "$X" --bake "$B" inv.json >out 2>&1
check "invalid fragment: message" grep -q "the baker printed an invalid fragment (1 error, listed in its log)" out
check "invalid fragment: position in the log" grep -q 'hm-exec: variants (fragment):[0-9]*:[0-9]*: error' .hm/logs/latest/variants.log
mk empty >empty.json
must_fail 1 "a baker that printed nothing" "$X" --bake "$B" empty.json >out 2>&1
check "a baker that printed nothing: says so" grep -q "dynamic step 'variants': the baker printed nothing and exited 0" out
mk outside >o.json
must_fail 1 "key outside KEY/" "$X" --bake "$B" o.json >out 2>&1
check "outside: message in log" grep -q "fragment step key 'elsewhere' is not under 'variants/'" .hm/logs/latest/variants.log
mk collide >c.json
must_fail 1 "duplicate key in fragment" "$X" --bake "$B" c.json >out 2>&1
check "collision: message in log" grep -q "step key 'variants/a' is already used" .hm/logs/latest/variants.log
# found by ir_check after the splice: the places moved into the run's document
check "collision: fragment positions" grep -q "hm-exec: variants (fragment):3:26: error: step key 'variants/a' is already used (first at 2:26)" .hm/logs/latest/variants.log
# a fragment key that exists already in the document
mk one | sed 's|"key":"after"|"key":"variants/only"|; s|"depends_on":\["test"\]|"depends_on":[]|' >c2.json
must_fail 1 "fragment key exists already" "$X" --bake "$B" c2.json >out 2>&1
check "existing key: message in log" grep -q "step key 'variants/only' is already used" .hm/logs/latest/variants.log
mk downstream >ds.json
must_fail 1 "reference downstream" "$X" --bake "$B" ds.json >out 2>&1
check "downstream: message in log" grep -q "variants (fragment):2:105: error: fragment step 'variants/a' refers to 'after', which is downstream of the dynamic step 'variants'" .hm/logs/latest/variants.log
mk hang | sed 's|"env":{"JOBS":"4"}|"env":{"JOBS":"4"},"timeout_seconds":1|' >h.json
BAKE_PID=$TMP/bake.pid must_fail 1 "bake timeout" "$X" --grace 1 --bake "$B" h.json >out 2>&1
check "bake timeout: message" grep -q "the baker timed out after 1s" out
if [ -s bake.pid ] && ps -o stat= -p "$(cat bake.pid)" | grep -qv Z; then
	fail "timed-out baker survived"
fi
mk fail | sed 's|"env":{"JOBS":"4"}|"env":{"JOBS":"4"},"retry":2|' >fr.json
BAKE_LOG=$TMP/bakes must_fail 1 "bake retried" "$X" --bake "$B" fr.json >out 2>&1
check "bake retried twice" test "$(wc -l <bakes)" -eq 3
rm -f bakes
mk fail | sed 's|"env":{"JOBS":"4"}|"env":{"JOBS":"4"},"soft_fail":true|' >fs.json
check "soft-failed bake passes the run" "$X" --bake "$B" fs.json >out 2>&1
check "soft-failed bake: test continues" grep -q -- '--- test: passed' out
must_fail 1 "no definition" sh -c "sed 's|\"source\":{\"definition\":\"[^\"]*\"},||' one.json | '$X' --bake '$B' >out 2>&1"
check "no definition: message" grep -q "no definition to bake from" out
# a placeholder that fails as it starts, with nothing else running: no
# child is left to wake the loop, which must still see the failure
printf '%s\n' '{"version":"1","steps":[{"type":"command","key":"v",' \
	'"eval":{"type":"dynamic","target_name":"one"},"builds_in":null}]}' \
	>alone.json
must_fail 1 "failed at start, nothing running: no hang" \
	timeout 20 "$X" --bake "$B" alone.json >out 2>&1

# 5. outputs choose what the baker bakes; the bake sees them in its env
cat >pick.json <<EOF
{"version":"1","source":{"definition":"$D/def.yml"},"steps":[
 {"type":"command","key":"detect","eval":{"type":"cmd","cmd":"echo variant=\$WANT >>\$HM_OUTPUT"},"builds_in":null},
 {"type":"command","key":"run","eval":{"type":"dynamic","target_name":"pick","continue":"join"},"builds_in":"detect"}
]}
EOF
rm -f order
WANT=small check "pick small" "$X" --bake "$B" pick.json >out 2>&1
check "baked small" test "$(lines)" = "small "
rm -f order
WANT=big check "pick big" "$X" --bake "$B" pick.json >out 2>&1
check "baked big" test "$(sort order | tr '\n' ' ')" = "big1 big2 "
rm -f order

# 6. which baker: --bake, else $HM_BAKE, else hm-bake beside hm-exec
mkdir -p bin
cp "$X" bin/hm-exec
printf '#!/bin/sh\necho beside >>%s/which\nexec "%s" "$@"\n' "$TMP" "$B" >bin/hm-bake
chmod +x bin/hm-bake
printf '#!/bin/sh\necho env >>%s/which\nexec "%s" "$@"\n' "$TMP" "$B" >envbake
chmod +x envbake
check "baker beside hm-exec" sh -c "bin/hm-exec one.json >/dev/null 2>&1"
HM_BAKE=$TMP/envbake check "baker from HM_BAKE" sh -c "bin/hm-exec one.json >/dev/null 2>&1"
HM_BAKE=$TMP/envbake check "--bake wins" sh -c "bin/hm-exec --bake '$B' one.json >/dev/null 2>&1"
check "resolution order" test "$(tr '\n' ' ' <which)" = "beside env "
rm -f order

# 7. the dry run shows placeholders unexpanded
check "dry run" "$X" -n nest.json >out 2>&1
check "dry run: placeholder" grep -q "variants \[dynamic: bakes target 'outer' when reached\]" out

finish
