#!/bin/sh
# hm: continuations through nested groups (ir-spec/README.md, section 6),
# in testdata/cont/. Each case is NAME.yml, a definition, and NAME.json,
# the same pipeline written as IR by hand (the same keys). The two tools
# must agree: hm-bake on NAME.yml and hm-lower --check on NAME.json fail
# with the same messages (places aside), or both pass and hm-exec -n
# shows the same plan (who builds in what, which steps are replicated).
# NAME.out holds what both give. `--regenerate` rewrites NAME.out.
. "$(dirname "$0")/lib.sh"
regen=0
[ "${1:-}" = "--regenerate" ] && regen=1
DATA="$TOP/testdata/cont"

# verdict TOOL-OUTPUT STATUS: the plan, or the messages without places
norm() {
	sed -E 's/^hm-(bake|lower): [^:]+:[0-9]+:[0-9]+: /FILE: /;
	    s/\((group|dynamic step) at [0-9]+:[0-9]+\)/(\1 at L:C)/g'
}

cd "$DATA" || exit 1
for y in *.yml; do
	name=${y%.yml}
	if "$HM_BAKE" "$y" >"$TMP/baked.json" 2>"$TMP/bake.err"; then
		"$HM_EXEC" -n "$TMP/baked.json" >"$TMP/bake.out" 2>&1
	else
		echo "exit: $?" >"$TMP/bake.out"
		norm <"$TMP/bake.err" >>"$TMP/bake.out"
	fi
	if "$HM_LOWER" --check "$name.json" 2>"$TMP/lower.err"; then
		"$HM_EXEC" -n "$name.json" >"$TMP/lower.out" 2>&1
	else
		echo "exit: $?" >"$TMP/lower.out"
		norm <"$TMP/lower.err" >>"$TMP/lower.out"
	fi
	if [ "$regen" = 1 ]; then
		cp "$TMP/lower.out" "$name.out"
	else
		same "$name.out" "$TMP/lower.out" "$name: hm-lower differs from $name.out"
	fi
	same "$TMP/lower.out" "$TMP/bake.out" \
	    "$name: hm-bake on $name.yml and hm-lower on $name.json disagree"
done

# Dynamic steps whose fragment nests: hm-exec bakes them with hm-bake and
# splices them, and the same rules apply to what the fragment holds.
cp "$DATA/dynamic/"*.yml "$TMP" && cd "$TMP" || exit 1
"$HM_BAKE" nested-each.yml >ne.json 2>err
check "nested-each: runs" sh -c "'$HM_EXEC' --output=all ne.json >out 2>&1"
check "nested-each: report runs for leaf a" \
    grep -qx 'report: report/r@checks/o/g/a' out
check "nested-each: report runs for leaf b" \
    grep -qx 'report: report/r@checks/o/g/b' out
"$HM_BAKE" ambiguous.yml >amb.json 2>err
must_fail 1 "ambiguous: the run fails" "$HM_EXEC" amb.json >out 2>&1
check "ambiguous: the message names the nested group" grep -q \
    "step 'report' builds in 'checks', which continues in its member group 'checks/g', which has 2 leaves" \
    out
check "ambiguous: report is skipped" grep -q -- '--- report/r: skipped' \
    out
# The same fragment written out needs no run-time value: the static bake
# finds the mistake, with the message the run gives.
cat >amb-static.yml <<'YAML'
targets:
  checks:
    dynamic: true
    steps:
      - group: [{sh: "echo a", key: a}, {sh: "echo b", key: b}]
        key: g
  report:
    from: checks
    steps: [{sh: 'echo report', key: r}]
pipelines:
  ci: [report]
YAML
must_fail 65 "ambiguous, static: the bake fails" "$HM_BAKE" amb-static.yml \
    2>err
grep 'builds in' out | sed -E 's/^hm-exec: [^:]+:[0-9]+:[0-9]+: /FILE: /;
    s/\((group|dynamic step) at [0-9]+:[0-9]+\)/(\1 at L:C)/g' >run.msg
norm <err >bake.msg
check "ambiguous, static: one message" test "$(wc -l <bake.msg)" -eq 1
same run.msg bake.msg "ambiguous: the static bake and the run disagree"

# A group's own builds_in and depends_on are edges of every member, not
# only of its roots: when they are not satisfied, no member runs, not
# even one behind a wait with continue_on_failure (ir-spec/status.md).
cat >members.json <<'JSON'
{"version": "1", "steps": [
  {"type": "command", "key": "f", "eval": {"type": "cmd", "cmd": "exit 1"}, "builds_in": null},
  {"type": "group", "key": "g", "depends_on": ["f"], "steps": [
    {"type": "command", "key": "g/a", "eval": {"type": "cmd", "cmd": "echo a >>ran"}, "builds_in": null},
    {"type": "wait", "continue_on_failure": true},
    {"type": "command", "key": "g/b", "eval": {"type": "cmd", "cmd": "echo b >>ran"}, "builds_in": null}
  ]}
]}
JSON
must_fail 1 "a group after a failed step" "$HM_EXEC" -k members.json >out 2>&1
check "the root is skipped" grep -q -- '--- g/a: skipped' out
check "the member behind continue_on_failure is skipped too" \
    grep -q -- '--- g/b: skipped' out
check "no member ran" test ! -f ran
finish
