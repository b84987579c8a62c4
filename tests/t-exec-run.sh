#!/bin/sh
# hm: hm-exec runs steps: order, parallelism, waits, keep-going, soft_fail,
# retry, timeouts (grandchildren included), env, outputs, logs, reports,
# exit statuses, input forms.
. "$(dirname "$0")/lib.sh"
cd "$TMP" || exit 1
X="$HM_EXEC"

# cmd KEY CMD [EXTRA]: one command step as JSON (EXTRA: more fields).
cmd() {
	printf '{"type":"command","key":"%s","eval":{"type":"cmd","cmd":"%s"},"builds_in":null%s}' \
		"$1" "$2" "${3:-}"
}
doc() {
	printf '{"version":"1","steps":['
	sep=""
	for s in "$@"; do printf '%s%s' "$sep" "$s"; sep=","; done
	printf ']}\n'
}
WAIT='{"type":"wait"}'
WAITC='{"type":"wait","continue_on_failure":true}'

# line N of FILE (order checks)
pos() { grep -n -x "$2" "$1" | head -1 | cut -d: -f1; }
before() { a=$(pos "$1" "$2"); b=$(pos "$1" "$3"); [ -n "$a" ] && [ -n "$b" ] && [ "$a" -lt "$b" ]; }
alive() {
	s=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
	case $s in Z*) return 1 ;; esac
	return 0
}

# 1. a chain runs in order; a failure skips the rest of it
doc "$(cmd a 'echo a >>order')" "$(cmd b 'echo b >>order' ',"builds_in":"a"')" \
    "$(cmd c 'echo c >>order' ',"builds_in":"b"')" >chain.json
sed 's/"builds_in":null,"builds_in"/"builds_in"/g' chain.json >c2.json && mv c2.json chain.json
check "chain passes" "$X" -j4 chain.json >out 2>&1
check "chain order" test "$(cat order | tr '\n' ' ')" = "a b c "
rm -f order
sed 's/echo b >>order/echo b >>order; echo boom; exit 7/' chain.json >chainf.json
must_fail 1 "a failed chain exits 1" "$X" -j4 chainf.json >out 2>&1
check "c skipped after b failed" grep -q -- '--- c: skipped' out
check "c never ran" test "$(cat order | tr '\n' ' ')" = "a b "
check "failure names exit status" grep -q 'failed: b: exit status 7, log ' out
check "failure's excerpt under its header" sh -c "grep -A1 -- '--- b: failed' out | grep -qx boom"
check "a passing step is one line" sh -c "grep -A1 -- '--- a: passed' out | tail -1 | grep -q -- '^--- '"
rm -f order

# 2. fan-out and fan-in: b, c, d run at the same time (each waits until
# all three have started, which a serial run would never reach)
sync3='touch s.$HM_STEP_KEY; i=0; while [ $(ls s.* | wc -l) -lt 3 ]; do i=$((i+1)); [ $i -gt 400 ] \&\& exit 9; sleep 0.05; done; echo $HM_STEP_KEY >>order'
fan=$(printf '%s' "$sync3" | sed 's/\\&/\&/g')
doc "$(cmd a 'echo a >>order')" \
    "$(printf '{"type":"command","key":"b","eval":{"type":"cmd","cmd":"%s"},"builds_in":"a"}' "$fan")" \
    "$(printf '{"type":"command","key":"c","eval":{"type":"cmd","cmd":"%s"},"builds_in":"a"}' "$fan")" \
    "$(printf '{"type":"command","key":"d","eval":{"type":"cmd","cmd":"%s"},"builds_in":"a"}' "$fan")" \
    "$(cmd e 'echo e >>order' ',"depends_on":["b","c","d"]')" >fan.json
check "fan-out/fan-in passes with -j3" "$X" -j3 fan.json >out 2>&1
check "a first" test "$(head -1 order)" = a
check "e last" test "$(tail -1 order)" = e
check "five steps ran" test "$(wc -l <order)" -eq 5
rm -f order s.*
# -j1 would deadlock the rendezvous: the first of b, c, d fails (exit 9)
must_fail 1 "-j1 runs one at a time" "$X" -j1 fan.json >out 2>&1
check "-j1: the rendezvous timed out" grep -q 'exit status 9' out
rm -f order s.*

# 3. waits: a plain wait skips what follows a failure; continue_on_failure
# runs it; a later plain wait still sees the failure
doc "$(cmd a 'exit 1')" "$WAIT" "$(cmd b 'echo b >>order')" >w1.json
must_fail 1 "plain wait after a failure" "$X" w1.json >out 2>&1
check "behind a plain wait: skipped" grep -q -- '--- b: skipped' out
check "b did not run" test ! -f order
doc "$(cmd a 'exit 1')" "$(cmd a2 'echo a2 >>order')" "$WAITC" "$(cmd report 'echo report >>order')" \
    "$WAIT" "$(cmd deploy 'echo deploy >>order')" >w2.json
must_fail 1 "continue_on_failure wait" "$X" -j1 w2.json >out 2>&1
check "report ran behind continue_on_failure" grep -qx report order
check "deploy skipped behind the later plain wait" grep -q -- '--- deploy: skipped' out
check "a2 canceled (stopping without -k)" grep -q -- '--- a2: canceled' out
rm -f order
must_fail 1 "-k: everything not downstream runs" "$X" -j1 -k w2.json >out 2>&1
check "-k: a2 ran" grep -qx a2 order
check "-k: report ran" grep -qx report order
check "-k: deploy still skipped" grep -q -- '--- deploy: skipped' out
rm -f order

# 4. keep-going: independent steps still run after a failure
doc "$(cmd bad 'exit 1')" "$(cmd x 'echo x >>order')" "$(cmd y 'echo y >>order' ',"builds_in":"bad"')" \
    | sed 's/"builds_in":null,"builds_in"/"builds_in"/' >k.json
must_fail 1 "without -k" "$X" -j1 k.json >out 2>&1
check "without -k: x canceled" grep -q -- '--- x: canceled' out
check "canceled counted" grep -q '1 canceled' out
must_fail 1 "with -k" "$X" -j1 -k k.json >out 2>&1
check "with -k: x ran" grep -qx x order
check "with -k: y skipped" grep -q -- '--- y: skipped' out
rm -f order

# 5. soft_fail: reported, run passes, dependents run
doc "$(cmd s 'echo soft; exit 2' ',"soft_fail":true')" \
    "$(cmd t 'echo t >>order' ',"depends_on":["s"]')" >s.json
check "soft failure passes the run" "$X" s.json >out 2>&1
check "soft-failed reported" grep -q -- '--- s: soft-failed [0-9.]*s (exit status 2)' out
check "dependent of a soft failure ran" grep -qx t order
check "summary counts it" grep -q '1 soft-failed' out
rm -f order

# 6. retry: the third attempt passes
doc "$(cmd r 'n=$(cat n 2>/dev/null || echo 0); echo $((n+1)) >n; echo try $HM_ATTEMPT; test $n -ge 2' ',"retry":3')" >r.json
check "retried until it passed" "$X" --output=all r.json >out 2>&1
check "three attempts" test "$(cat n)" = 3
check "HM_ATTEMPT counts" grep -q 'try 3' out
check "attempt shown" grep -q -- '--- r: passed [0-9.]*s \[attempt 3\]' out
rm -f n
doc "$(cmd r 'echo no; exit 1' ',"retry":1')" >r2.json
must_fail 1 "retries exhausted" "$X" r2.json >out 2>&1
check "two attempts then failed" test "$(grep -c -- '--- r: failed' out)" = 2

# 7. timeout kills the whole process group, grandchildren included,
# even one that ignores SIGTERM
cat >t.json <<'EOF'
{"version":"1","steps":[{"type":"command","key":"slow","eval":{"type":"cmd","cmd":"sh -c 'echo $$ >gc.pid; exec sleep 300' & sh -c 'trap \"\" TERM; echo $$ >ign.pid; while :; do sleep 1; done' & echo $$ >sh.pid; wait"},"builds_in":null,"timeout_seconds":1}]}
EOF
must_fail 1 "timeout fails the run" "$X" --grace 1 t.json >out 2>&1
check "reported as timed out" grep -q -- '--- slow: timed-out [0-9.]*s (timed out after 1s)' out
for f in gc.pid ign.pid sh.pid; do
	check "$f written" test -s $f
	if [ -s $f ] && alive "$(cat $f)"; then
		fail "process from $f survived the timeout"
		kill -9 "$(cat $f)" 2>/dev/null
	fi
done

# 8. a background process that keeps the output pipe cannot stall the
# run, and does not outlive its step
cat >bg.json <<'EOF'
{"version":"1","steps":[{"type":"command","key":"bg","eval":{"type":"cmd","cmd":"sleep 300 & echo $! >bg.pid; echo started"},"builds_in":null}]}
EOF
check "step with a background child finishes" "$X" --grace 1 bg.json >out 2>&1
check "bg.pid written" test -s bg.pid
if [ -s bg.pid ] && alive "$(cat bg.pid)"; then
	fail "background child outlived its step"
	kill -9 "$(cat bg.pid)"
fi

# 9. environment: invoking env < pipeline env < step env < HM_*
cat >env.json <<'EOF'
{"version":"1","env":{"A":"doc","B":"doc"},"steps":[
 {"type":"command","key":"e/1","label":"Env one","eval":{"type":"cmd","cmd":"echo A=$A B=$B C=$C; echo K=$HM_STEP_KEY L=$HM_STEP_LABEL R=$HM_RUN_ID T=$HM_ATTEMPT; test -r /dev/stdin && test -z \"$(cat)\""},"builds_in":null,"env":{"B":"step"}}
]}
EOF
A=inv C=inv check "env runs" "$X" --output=all env.json >out 2>&1
check "env precedence" grep -q 'A=doc B=step C=inv' out
check "HM_* variables" grep -q 'K=e/1 L=Env one R=[0-9TZ]*-[0-9]* T=1' out
check "label in header" grep -q -- '--- Env one: passed' out

# 10. outputs: HM_OUT_<KEY>_<NAME> and HM_OUTPUTS for later steps
cat >o.json <<'EOF'
{"version":"1","steps":[
 {"type":"command","key":"detect-it","eval":{"type":"cmd","cmd":"echo target=big >>$HM_OUTPUT; echo 'my.val=a b=c' >>$HM_OUTPUT; echo junk >>$HM_OUTPUT"},"builds_in":null},
 {"type":"command","key":"use","eval":{"type":"cmd","cmd":"echo T=$HM_OUT_DETECT_IT_TARGET V=$HM_OUT_DETECT_IT_MY_VAL; cp $HM_OUTPUTS outputs.json"},"builds_in":"detect-it"}
]}
EOF
check "outputs run" "$X" --output=all o.json >out 2>err
check "outputs visible to later steps" grep -q 'T=big V=a b=c' out
check "malformed output line warned" grep -q 'detect-it.out:3:1: warning: line ignored' err
check "HM_OUTPUTS JSON" test "$(jq -c . outputs.json)" = '{"detect-it":{"target":"big","my.val":"a b=c"}}'

# 11. logs: whole output kept; a step printing 100 MB does not grow
# hm-exec's memory (peak RSS stays under 40 MB)
doc "$(cmd big 'head -c 104857600 /dev/zero | tr \"\\\\0\" x; echo; echo last line')" >big.json
check "100 MB step" /usr/bin/time -f %M -o rss "$X" --log-dir logs big.json >/dev/null 2>&1
check "log holds all of it" test "$(wc -c <logs/big.log)" -eq 104857611
rss=$(tail -1 rss)
check "peak RSS ${rss} kB < 40 MB" test "$rss" -lt 40960
check "log dir keys map '/' to '%'" sh -c "'$X' --log-dir l2 env.json >/dev/null 2>&1 && test -f 'l2/e%1.log'"
check "default log dir" sh -c "'$X' env.json >/dev/null 2>&1 && test -f '.hm/logs/latest/e%1.log'"
# logs are created with the first output: a silent step that passed has
# none (events say null), a silent step that failed has one
doc "$(cmd quiet 'true')" "$(cmd quietfail 'exit 3')" >quiet.json
"$X" -k --log-dir ql --events qev.jsonl quiet.json >/dev/null 2>&1
check "no log for a silent pass" test ! -e ql/quiet.log
check "a log for a silent failure" test -f ql/quietfail.log
check "events: log null for the silent pass" sh -c "grep '\"key\":\"quiet\"' qev.jsonl | grep step_finished | grep -q '\"log\":null'"
check "events: log path for the failure" sh -c "grep '\"key\":\"quietfail\"' qev.jsonl | grep step_finished | grep -q '\"log\":\"ql/quietfail.log\"'"

# 12. output of parallel steps never interleaves
doc "$(cmd p1 'for i in 1 2 3 4 5; do echo p1-$i; sleep 0.01; done')" \
    "$(cmd p2 'for i in 1 2 3 4 5; do echo p2-$i; sleep 0.01; done')" >p.json
check "parallel" "$X" -j2 --output=all p.json >out 2>&1
check "p1's lines together" sh -c "grep -A5 -- '--- p1' out | tail -5 | tr -d '\n' | grep -qx 'p1-1p1-2p1-3p1-4p1-5'"
check "p2's lines together" sh -c "grep -A5 -- '--- p2' out | tail -5 | tr -d '\n' | grep -qx 'p2-1p2-2p2-3p2-4p2-5'"
# -v streams with label prefixes
check "-v" "$X" -v -j2 p.json >out 2>&1
check "-v prefixes lines" grep -q '^p1| p1-3$' out

# 13. reports: events, junit, emit-ir (re-runnable), dry run
check "reports" "$X" -j1 -k --events ev.jsonl --junit j.xml --emit-ir e.json s.json >out 2>&1
check "events are JSON lines" jq -e . ev.jsonl >/dev/null
check "run_started first" test "$(head -1 ev.jsonl | jq -r .event)" = run_started
check "run_finished last" test "$(tail -1 ev.jsonl | jq -r .event)" = run_finished
check "step_finished has status" test "$(jq -r 'select(.event=="step_finished" and .key=="s") | .status + " " + (.exit_code|tostring)' ev.jsonl)" = "soft_failed 2"
check "junit has 2 testcases" test "$(grep -c '<testcase' j.xml)" = 2
check "run_started has the version" test "$(head -1 ev.jsonl | jq -r .version)" = "$(cat "$TOP/VERSION")"
check "junit has the version" grep -q "<property name=\"hm.version\" value=\"$(cat "$TOP/VERSION")\"/>" j.xml
check "emit-ir re-runs" "$X" e.json >/dev/null 2>&1
if [ -x "$HM_LOWER" ]; then
	check "emit-ir is canonical" sh -c "'$HM_LOWER' e.json >e2.json && cmp -s e.json e2.json"
fi
check "events to stdout" sh -c "'$X' --events - s.json 2>/dev/null | jq -e . >/dev/null"
rm -f order
check "dry run" "$X" -n chain.json >out 2>&1
check "dry run lists stages" test "$(grep -c '^stage' out)" = 3
check "dry run runs nothing" test ! -f order
must_fail 1 "junit of a failure" "$X" --junit jf.xml chainf.json >/dev/null 2>&1
check "junit failure with log tail" grep -q '<failure type="failed" message="exit status 7">boom' jf.xml
check "junit skipped" grep -q '<skipped' jf.xml

# 14. inputs: stdin, v0, exit statuses 64, 65, 66
rm -f order
check "stdin input" sh -c "'$X' <chain.json >/dev/null 2>&1"
check "stdin ran" test "$(wc -l <order)" -eq 3
printf '{"version":"0","steps":[{"type":"command","key":"v0","cmd":"echo v0 >>order","builds_in":null}]}' >v0.json
check "v0 input" "$X" v0.json >/dev/null 2>&1
check "v0 step ran" grep -qx v0 order
must_fail 64 "unknown option" "$X" --frobnicate chain.json 2>err
must_fail 64 "-j needs a number" "$X" -j x chain.json 2>err
must_fail 66 "missing input" "$X" nonexistent.json 2>err
check "66 message" grep -q "hm-exec: cannot open 'nonexistent.json': No such file" err
printf '{"version":"1","steps":[{"type":"command","key":"a","eval":{"type":"cmd","cmd":"true"},"builds_in":"nope"}]}' >bad.json
must_fail 65 "invalid IR" "$X" bad.json 2>err
check "65 diagnostic with position" grep -q '^hm-exec: bad.json:1:[0-9]*: error: ' err
printf '{"version":"1","steps":[' >trunc.json
must_fail 65 "truncated JSON" "$X" trunc.json 2>err

finish
