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
TERM=xterm script -qfec "'$HM_EXEC' -j1 s.json" /dev/null >tty.out 2>&1
check "tty run" grep -q 'hello' tty.out
check "status line: [done/total] running: label" grep -q '\[0/2\] running: one' tty.out
check "status line cleared with ESC[K" grep -q "${ESC}\[K" tty.out
check "colour on a terminal" grep -q "${ESC}\[32m" tty.out
TERM=dumb script -qfec "'$HM_EXEC' -j1 s.json" /dev/null >dumb.out 2>&1
check "TERM=dumb: no status line" sh -c "! grep -q 'running:' dumb.out"
NO_COLOR=1 TERM=xterm script -qfec "'$HM_EXEC' -j1 s.json" /dev/null >nc.out 2>&1
check "NO_COLOR: no colour" sh -c "! grep -q '${ESC}\[3[12]m' nc.out"
check "NO_COLOR: status line still there" grep -q 'running: one' nc.out
TERM=xterm "$HM_EXEC" -j1 s.json >pipe.out 2>&1
check "not a terminal: no escapes" sh -c "! grep -q '$ESC' pipe.out"
check "not a terminal: output whole" grep -q '^hello$' pipe.out
finish
