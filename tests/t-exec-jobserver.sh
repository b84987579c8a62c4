#!/bin/sh
# hm: hm-exec under GNU make -jN is a jobserver client: its steps and
# make's other jobs together never run more than N at a time. Every
# step and every other make job records its start and end in one file;
# the most that ran at once is counted from it. -j on hm-exec's command
# line wins over the jobserver; a recipe not marked '+' has no jobserver
# (make closes its pipe) and runs one step at a time, as make does.
. "$(dirname "$0")/lib.sh"
cd "$TMP" || exit 1
if ! command -v make >/dev/null 2>&1; then
	fail "GNU make is not installed"
	finish
fi

# eight independent steps, each recording its start and end
{
	printf '{"version": "1", "steps": ['
	for i in 1 2 3 4 5 6 7 8; do
		[ $i = 1 ] || printf ', '
		printf '{"type": "command", "key": "s%d", "eval": {"type": "cmd", "cmd": "echo + >>trace; sleep 1; echo - >>trace"}, "builds_in": null}' $i
	done
	printf ']}\n'
} >ci.json
cat >Makefile <<EOF2
HM_EXEC = $HM_EXEC
all: ci other1 other2 other3
ci:
	+\$(HM_EXEC) --log-dir logs ci.json >hm.out 2>&1
other1 other2 other3:
	@echo + >>trace; sleep 2; echo - >>trace
ci-j8:
	+\$(HM_EXEC) -j8 --log-dir logs ci.json >hm.out 2>&1
ci-unmarked:
	\$(HM_EXEC) --log-dir logs ci.json >hm.out 2>&1
EOF2

# most_at_once: the largest number of jobs running at once in trace
most_at_once() {
	awk '$1 == "+" { n++; if (n > m) m = n } $1 == "-" { n-- }
		END { print m + 0 }' trace
}

rm -f trace
check "make -j4 all: hm-exec beside three other jobs" make -s -j4 all
check "all eight steps and three jobs ran" test "$(grep -c + trace)" -eq 11
m=$(most_at_once)
check "make -j4 all: at most 4 jobs at once (saw $m)" test "$m" -le 4
check "make -j4 all: in parallel (saw $m)" test "$m" -ge 2

rm -f trace
check "make -j4 ci" make -s -j4 ci
m=$(most_at_once)
check "make -j4 ci: at most 4 steps at once (saw $m)" test "$m" -le 4
check "make -j4 ci: hm-exec took tokens (saw $m)" test "$m" -ge 2

rm -f trace
check "make -j2 ci" make -s -j2 ci
m=$(most_at_once)
check "make -j2 ci: at most 2 steps at once (saw $m)" test "$m" -le 2

# -j on the command line wins: the counting sees more than make's 4
rm -f trace
check "make -j4 ci-j8" make -s -j4 ci-j8
m=$(most_at_once)
check "hm-exec -j8 under make -j4: -j8 wins (saw $m)" test "$m" -gt 4

# a recipe without '+': make closes the pipe; one step at a time
rm -f trace
check "make -j4 ci-unmarked" make -s -j4 ci-unmarked
m=$(most_at_once)
check "no '+': one step at a time (saw $m)" test "$m" -eq 1
check "no '+': hm-exec says so" grep -q "jobserver unavailable.*'+'" hm.out

# the recipe hm-exec(1) shows
check "hm-exec(1) shows the '+' recipe" sh -c \
	"mandoc -T ascii '$TOP/man/hm-exec.1' | grep -q '^ *+hm-exec ci.json\$'"

# no make at all: -j as given or the CPUs
rm -f trace
check "hm-exec -j3 alone" sh -c "'$HM_EXEC' -j3 --log-dir logs ci.json >/dev/null 2>&1"
m=$(most_at_once)
check "hm-exec -j3 alone: at most 3 (saw $m)" test "$m" -le 3
finish
