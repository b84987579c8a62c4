#!/bin/sh
# hm: the status line and colour, under a pseudo-terminal (script(1)):
# shown on a terminal with TERM set, not with TERM=dumb, never in a pipe;
# colour off under NO_COLOR.
. "$(dirname "$0")/lib.sh"
cd "$TMP" || exit 1
if ! command -v script >/dev/null 2>&1; then
	fail "script(1) is not installed (util-linux)"
	finish
fi
cat >s.json <<'EOF2'
{"version":"1","steps":[
 {"type":"command","key":"one","eval":{"type":"cmd","cmd":"echo hello"},"builds_in":null},
 {"type":"command","key":"two","eval":{"type":"cmd","cmd":"echo world"},"builds_in":"one"}
]}
EOF2
ESC=$(printf '\033')
# the status line's conditions are the environment's: start from none
unset CI NO_COLOR
TERM=xterm script -qfec "'$HM_EXEC' -j1 s.json" /dev/null >tty.out 2>&1
check "tty run" grep -q 'one: .*passed' tty.out
check "status line: [done/total] N running: label elapsed" grep -q '\[0/2\] 1 running: one 0s' tty.out
check "status line cleared with ESC[K" grep -q "${ESC}\[K" tty.out
check "colour on a terminal" grep -q "${ESC}\[32m" tty.out
TERM=dumb script -qfec "'$HM_EXEC' -j1 s.json" /dev/null >dumb.out 2>&1
check "TERM=dumb: no status line" sh -c "! grep -q 'running:' dumb.out"
NO_COLOR=1 TERM=xterm script -qfec "'$HM_EXEC' -j1 s.json" /dev/null >nc.out 2>&1
check "NO_COLOR: no colour" sh -c "! grep -q '${ESC}\[3[12]m' nc.out"
check "NO_COLOR: no status line" sh -c "! grep -q 'running:' nc.out"
CI=true TERM=xterm script -qfec "'$HM_EXEC' -j1 s.json" /dev/null >ci.out 2>&1
check "CI: no status line" sh -c "! grep -q 'running:' ci.out"
TERM=xterm "$HM_EXEC" -j1 s.json >pipe.out 2>&1
check "not a terminal: no escapes" sh -c "! grep -q '$ESC' pipe.out"
check "not a terminal: a passing step is one line" sh -c "! grep -q '^hello$' pipe.out"
TERM=xterm "$HM_EXEC" -j1 --output=all s.json >all.out 2>&1
check "--output=all: output whole" grep -q '^hello$' all.out
# redrawn when its text changes: the elapsed time of the longest-running
# step, once a second, not at every turn of the loop
cat >slow.json <<'EOF2'
{"version":"1","steps":[
 {"type":"command","key":"c","label":"configure gcc","eval":{"type":"cmd","cmd":"i=0; while [ $i -lt 30 ]; do echo line $i; i=$((i+1)); sleep 0.1; done"},"builds_in":null}
]}
EOF2
TERM=xterm script -qfec "'$HM_EXEC' -j1 slow.json" /dev/null >slow.out 2>&1
# each drawing of the line, in order (however slow the machine, every
# one differs from the one before: a new second or a new count)
tr '\r' '\n' <slow.out | grep -o '^\[[0-9]*/[0-9]*\][^'"$ESC"']*' >draws
check "status line drawn (seconds counted)" test "$(grep -c 'running: configure gcc [0-9]*s' draws)" -ge 3
check "status line never drawn twice the same" test "$(uniq draws | wc -l)" -eq "$(wc -l <draws)"
check "status line drawn fewer times than the step printed lines" test "$(wc -l <draws)" -lt 30
check "status line counts seconds" grep -q 'running: configure gcc 2s' draws
finish
