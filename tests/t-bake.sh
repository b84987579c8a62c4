#!/bin/sh
# hm: hm-bake's command line: exit statuses, --target evaluating only its
# target, predicates' output and timeouts, no orphans, signals, write
# errors, and the seed cases run end to end through hm-exec.
. "$(dirname "$0")/lib.sh"
STUBS="$TOP/testdata/bake/stub"
cd "$TMP" || exit 1

cat >ok.yml <<'YAML'
targets:
  a: [{sh: echo a, label: a}]
pipelines:
  ci: [a]
YAML

# usage and input errors
must_fail 64 "no arguments" "$HM_BAKE" 2>/dev/null
must_fail 64 "unknown option" "$HM_BAKE" --frobnicate ok.yml 2>/dev/null
must_fail 64 "two files" "$HM_BAKE" ok.yml ok.yml 2>/dev/null
must_fail 64 "--key-prefix without --target" "$HM_BAKE" --key-prefix x ok.yml 2>/dev/null
must_fail 64 "bad key prefix" "$HM_BAKE" --target a --key-prefix 'a b' ok.yml 2>/dev/null
must_fail 64 "key prefix with @" "$HM_BAKE" --target a --key-prefix 'a@b' ok.yml 2>/dev/null
must_fail 64 "--pipeline with --target" "$HM_BAKE" --pipeline ci --target a ok.yml 2>/dev/null
must_fail 66 "missing file" "$HM_BAKE" no-such.yml 2>/dev/null
must_fail 74 "a directory" "$HM_BAKE" . 2>/dev/null
check "help" sh -c "'$HM_BAKE' --help | grep -q usage"
check "ok" sh -c "'$HM_BAKE' ok.yml >/dev/null"
check "stdin" sh -c "'$HM_BAKE' - <ok.yml | grep -q '\"definition\": \"-\"'"
check "options after the file" sh -c "'$HM_BAKE' ok.yml --compact >/dev/null"
check "compact is one line" sh -c "test \$('$HM_BAKE' --compact ok.yml | wc -l) = 1"
check "-- ends options" sh -c "'$HM_BAKE' -- ok.yml >/dev/null"

# write errors: exit 74 and a message, never a crash
if [ -w /dev/full ]; then
	must_fail 74 "ENOSPC" sh -c "'$HM_BAKE' ok.yml >/dev/full 2>err.txt"
	check "ENOSPC message" grep -q "write error" err.txt
fi
awk 'BEGIN { print "targets:"; print "  a:"; print "    steps:"; for (i = 0; i < 20000; i++) printf "      - {sh: step %d}\n", i; print "pipelines: {ci: [a]}" }' >big.yml
( "$HM_BAKE" big.yml 2>/dev/null; echo $? >status ) | head -c 10 >/dev/null
check "EPIPE exits 74" test "$(cat status)" = 74

# --target evaluates only its target; a static bake only its pipeline
cat >only.yml <<'YAML'
targets:
  wanted:
    dynamic: true
    steps:
      - if:
          - {sh: "touch wanted.ran", then: [{sh: yes, label: yes}]}
  unrelated:
    dynamic: true
    steps:
      - if:
          - {sh: "touch unrelated.ran; exit 127", then: [{sh: no}]}
      - generate: "touch generator.ran; exit 1"
      - matrix: {x: {sh: "touch axis.ran; exit 1"}}
        steps: [{sh: x}]
  static-unrelated:
    steps:
      - if:
          - {sh: "touch static.ran; exit 127", then: [{sh: no}]}
pipelines:
  one: [wanted]
  other: [static-unrelated]
YAML
check "--target wanted" sh -c "'$HM_BAKE' --target wanted only.yml >/dev/null"
check "its predicate ran" test -f wanted.ran
check "unrelated predicate did not run" test ! -f unrelated.ran
check "unrelated generator did not run" test ! -f generator.ran
check "unrelated axis did not run" test ! -f axis.ran
check "static bake of one" sh -c "'$HM_BAKE' --pipeline one only.yml >/dev/null"
check "static-unrelated did not run" test ! -f static.ran
check "dynamic bodies do not run at static bake" test ! -f unrelated.ran
must_fail 65 "--target unrelated fails" sh -c "'$HM_BAKE' --target unrelated only.yml >/dev/null 2>err.txt"
check "the failure names the target and position" \
	grep -q "only.yml:11:18: error: predicate in target 'unrelated' failed: exit status 127" err.txt

# keys of static targets do not depend on the environment: a fragment
# baked in another environment refers to the same keys
cat >keys.yml <<'YAML'
targets:
  base:
    key: base-key
    steps:
      - if:
          - {env: MODE == a, then: [{sh: a, label: mode a}]}
          - {else: [{sh: b, label: mode b}]}
  dyn:
    dynamic: true
    steps: [{sh: d, from: base, label: d}]
pipelines: {ci: [base, dyn]}
YAML
MODE=a "$HM_BAKE" --compact --target dyn keys.yml >frag-a.json
MODE=b "$HM_BAKE" --compact --target dyn keys.yml >frag-b.json
same frag-a.json frag-b.json "fragment depends on the environment"
check "fragment refers to the static key" grep -q '"builds_in":"base-key"' frag-a.json

# predicates: stdout goes to stderr (stdout is the IR), stderr passes
cat >talk.yml <<'YAML'
targets:
  t:
    steps:
      - if:
          - {sh: "echo to-stdout; echo to-stderr >&2; true", then: [{sh: x, label: x}]}
pipelines: {ci: [t]}
YAML
"$HM_BAKE" talk.yml >out.json 2>err.txt
check "IR is clean JSON" sh -c "jq -e .version out.json >/dev/null"
check "predicate stdout on stderr" grep -q to-stdout err.txt
check "predicate stderr passed through" grep -q to-stderr err.txt

# timeouts kill the whole process group, and nothing outlives the bake
cat >slow.yml <<'YAML'
targets:
  t:
    steps:
      - if:
          - {sh: "sleep 31.25 & sleep 31.25", timeout: 1, then: [{sh: x}]}
pipelines: {ci: [t]}
YAML
start=$(date +%s)
must_fail 65 "timed-out predicate" sh -c "'$HM_BAKE' slow.yml >/dev/null 2>err.txt"
end=$(date +%s)
check "timeout is prompt" test $((end - start)) -le 5
check "timeout message" grep -q "timed out after 1 s" err.txt
sleep 0.2
check "no sleeper left after a timeout" sh -c "! pgrep -f 'slee[p] 31.25' >/dev/null"
cat >bg.yml <<'YAML'
targets:
  t:
    steps:
      - if:
          - {sh: "(sleep 32.5 >/dev/null 2>&1 &); true", then: [{sh: x, label: x}]}
      - generate: "(sleep 32.75 >/dev/null 2>&1 &); echo '[]'"
pipelines: {ci: [t]}
YAML
check "background jobs" sh -c "'$HM_BAKE' bg.yml >/dev/null"
sleep 0.2
check "no orphan of a predicate" sh -c "! pgrep -f 'slee[p] 32.5' >/dev/null"
check "no orphan of a generator" sh -c "! pgrep -f 'slee[p] 32.75' >/dev/null"

# SIGTERM while a predicate runs: the predicate goes too
cat >term.yml <<'YAML'
targets:
  t:
    steps:
      - if:
          - {sh: "sleep 33.5", then: [{sh: x}]}
pipelines: {ci: [t]}
YAML
"$HM_BAKE" term.yml >/dev/null 2>&1 &
pid=$!
i=0
while ! pgrep -f 'slee[p] 33.5' >/dev/null && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
kill -TERM $pid
wait $pid
got=$?
checks=$((checks + 1))
[ $got = 143 ] || fail "SIGTERM: status $got, expected 143"
sleep 0.2
check "predicate killed with hm-bake" sh -c "! pgrep -f 'slee[p] 33.5' >/dev/null"

# an alias bomb fails at once
cat >bomb.yml <<'YAML'
a: &a ["x","x","x","x","x","x","x","x","x","x"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h,*h]
targets: {x: {steps: *i}}
YAML
must_fail 65 "alias bomb" timeout 5 "$HM_BAKE" bomb.yml 2>/dev/null
awk 'BEGIN { printf "targets: "; for (i = 0; i < 100000; i++) printf "{a: "; printf "1"; for (i = 0; i < 100000; i++) printf "}"; print "" }' >deep.yml
must_fail 65 "deep nesting" "$HM_BAKE" deep.yml 2>/dev/null

# the seed cases, end to end: hm-bake | hm-exec with stub date and curl
check "hm-exec is built" test -x "$HM_EXEC"
{
	export STUB_LOG="$TMP/curl.log"
	cp "$TOP/examples/bake-half-hour.yml" hh.yml
	sed -i 's/make test/true/' hh.yml
	for minute in 30 17; do
		rm -f "$STUB_LOG"
		PATH="$STUBS:$PATH" STUB_MINUTE=$minute sh -c \
		    "'$HM_BAKE' hh.yml | '$HM_EXEC' --log-dir logs$minute >exec.out 2>&1"
		status=$?
		checks=$((checks + 1))
		[ "$status" = 0 ] || { fail "hm-exec at minute $minute"; cat exec.out >&2; }
	done
	rm -f "$STUB_LOG"
	PATH="$STUBS:$PATH" STUB_MINUTE=30 sh -c "'$HM_BAKE' hh.yml | '$HM_EXEC' --log-dir l30 >/dev/null 2>&1"
	check "minute 30 posts half-hour" grep -q "logic-for-half-hour" "$STUB_LOG"
	rm -f "$STUB_LOG"
	PATH="$STUBS:$PATH" STUB_MINUTE=17 sh -c "'$HM_BAKE' hh.yml | '$HM_EXEC' --log-dir l17 >/dev/null 2>&1"
	check "minute 17 posts else" grep -q "logic-for-else" "$STUB_LOG"
	check "minute 17 never posts half-hour" sh -c "! grep -q half-hour '$STUB_LOG'"
	# env switch: FOO at run time chooses for the dynamic target
	cat >sw.yml <<'YAML'
targets:
  later:
    dynamic: true
    steps:
      - if:
          - env: FOO == "bar"
            then: [{sh: "echo xyz >> picked", label: xyz}]
          - else: [{sh: "echo abc >> picked", label: abc}]
pipelines: {ci: [later]}
YAML
	rm -f picked
	FOO=bar sh -c "'$HM_BAKE' sw.yml | '$HM_EXEC' --log-dir s1 >/dev/null 2>&1"
	check "FOO=bar at run time picks xyz" grep -qx xyz picked
	rm -f picked
	sh -c "'$HM_BAKE' sw.yml | '$HM_EXEC' --log-dir s2 >/dev/null 2>&1"
	check "no FOO picks abc" grep -qx abc picked
}
finish
