#!/bin/sh
# hm: hm-exec on SIGINT and SIGTERM: steps' process groups get TERM, then
# KILL; summary, events and JUnit are written; hm-exec dies by the signal
# (shell status 130/143, WIFSIGNALED for waitpid callers); no orphans.
. "$(dirname "$0")/lib.sh"
cd "$TMP" || exit 1
X="$HM_EXEC"

alive() {
	s=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
	case $s in Z*) return 1 ;; esac
	return 0
}
# wait_for FILE...: until every file exists (up to 30 s)
wait_for() {
	i=0
	for f in "$@"; do
		while [ ! -s "$f" ]; do
			i=$((i + 1))
			[ $i -gt 600 ] && return 1
			sleep 0.05
		done
	done
}

# Two running steps, each with a grandchild; one ignores TERM. A third
# step is queued behind them (-j2) and must never start.
cat >sig.json <<'EOF'
{"version":"1","steps":[
 {"type":"command","key":"one","eval":{"type":"cmd","cmd":"sleep 300 & echo $! >one-gc.pid; echo $$ >one.pid; wait"},"builds_in":null},
 {"type":"command","key":"two","eval":{"type":"cmd","cmd":"sh -c 'trap \"\" TERM; echo $$ >two-gc.pid; while :; do sleep 1; done' & echo $$ >two.pid; wait"},"builds_in":null},
 {"type":"command","key":"three","eval":{"type":"cmd","cmd":"touch three-ran"},"builds_in":null}
]}
EOF

check_orphans() {
	for f in one-gc.pid one.pid two-gc.pid two.pid; do
		if [ -s $f ] && alive "$(cat $f)"; then
			fail "$1: process from $f survived"
			kill -9 "$(cat $f)" 2>/dev/null
		fi
	done
	check "$1: queued step never started" test ! -f three-ran
	rm -f ./*.pid three-ran
}

for sig in INT TERM; do
	"$X" -j2 --grace 1 --events ev.jsonl --junit j.xml sig.json >out 2>&1 &
	pid=$!
	check "$sig: steps started" wait_for one.pid two.pid one-gc.pid two-gc.pid
	kill -$sig $pid
	wait $pid
	st=$?
	want=130
	[ $sig = TERM ] && want=143
	check "$sig: shell status $st is $want" test "$st" -eq $want
	check "$sig: summary written" grep -q "interrupted by SIG$sig" out
	check "$sig: run_finished event" test "$(tail -1 ev.jsonl | jq -r .status)" = interrupted
	check "$sig: junit written" grep -q '<testsuites' j.xml
	check "$sig: canceled steps reported" grep -q -- '--- one: canceled' out
	check_orphans "$sig"
done

# waitpid callers see death by signal, not exit(130)
cat >w.pl <<'EOF'
my $pid = fork();
if ($pid == 0) { open(STDOUT, ">", "/dev/null"); exec @ARGV; exit 127; }
for (1..600) { last if -s "one.pid" && -s "two.pid"; select(undef, undef, undef, 0.05); }
kill 'INT', $pid;
waitpid($pid, 0);
print(($? & 127) . "\n");
EOF
perl w.pl "$X" -j2 --grace 1 sig.json >wsig 2>/dev/null
check "WIFSIGNALED with SIGINT (got '$(cat wsig)')" test "$(cat wsig)" = 2
check_orphans "perl"

finish
