#!/bin/sh
# hm: tests/slurm/cluster.sh, the one-node cluster the Slurm tests run
# against: it starts (the node idle), runs a job step with the
# environment and directory srun hands it, starts again over a directory
# it ran in before (stale state, a job still running), and stops with
# nothing of it left: no daemon, no job step process, no task. Needs root
# and slurm-wlm and munge; without them it is skipped (exit 77), unless
# HM_TEST_SLURM=required (as under .ci/run), which makes that a failure.
. "$(dirname "$0")/lib.sh"

skip() {
	if [ "${HM_TEST_SLURM:-}" = required ]; then
		fail "$* (HM_TEST_SLURM=required)"
		finish
	fi
	rm -rf "$TMP"
	echo "no cluster to start: $*"
	exit 77
}
[ "$(id -u)" = 0 ] || skip "not root"
for b in munged slurmctld slurmd srun; do
	command -v "$b" >/dev/null 2>&1 || skip "$b not installed (scripts/setup.sh)"
done

cluster=$TOP/tests/slurm/cluster.sh
dir=$TMP/cluster
export SLURM_CONF="$dir/slurm.conf"

# left: the live processes whose command line or open files name the
# cluster's directory (daemons name their configuration, slurmstepd has
# slurmd's log open)
left() {
	{
		grep -laF "$dir/" /proc/[0-9]*/cmdline 2>/dev/null
		find /proc/[0-9]*/fd -lname "$dir/*" 2>/dev/null
	} | cut -d/ -f3 | sort -u | while read -r p; do
		[ "$p" = $$ ] && continue
		st=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | cut -d' ' -f1)
		[ -n "$st" ] && [ "$st" != Z ] && echo "$p"
	done
}
none_left() {
	l=$(left)
	[ -z "$l" ] && return 0
	ps -o pid,stat,args -p "$(echo $l | tr ' ' ,)" >&2
	return 1
}

check "start" sh "$cluster" start "$dir"
check "the node is idle" [ "$(sinfo -h -o %t 2>&1)" = idle ]
check "env names the configuration" \
	grep -qx "SLURM_CONF=$dir/slurm.conf" "$dir/env"

# a job step sees what srun is given, in the directory it is given
mkdir -p "$TMP/work"
out=$(cd "$TMP/work" && HM_PROBE='a b' srun --export=ALL sh -c \
	'printf "%s|%s|%s\n" "$HM_PROBE" "$(pwd)" "${SLURM_JOB_ID:+job}"' 2>&1)
check "srun runs the step with its environment and directory: $out" \
	[ "$out" = "a b|$TMP/work|job" ]

# a step that ignores TERM is still running when the cluster restarts
srun sh -c 'trap "" TERM; echo started; exec sleep 300' \
	>"$TMP/long.out" 2>&1 &
srun1=$!
i=0
until grep -q started "$TMP/long.out" 2>/dev/null || [ $i -ge 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
check "the long step runs" grep -q started "$TMP/long.out"
old=$(cat "$dir/pids/slurmctld")
check "start again over a running cluster" sh "$cluster" start "$dir"
check "a new controller" [ "$(cat "$dir/pids/slurmctld")" != "$old" ]
check "the queue starts empty" [ -z "$(squeue -h 2>&1)" ]
check "the node is idle again" [ "$(sinfo -h -o %t 2>&1)" = idle ]
check "a step runs after the restart" [ "$(srun echo hi 2>&1)" = hi ]

# stop while a step runs: the job is cancelled, nothing stays
srun sh -c 'trap "" TERM; exec sleep 300' >/dev/null 2>&1 &
srun2=$!
i=0
until [ -n "$(squeue -h -t R 2>/dev/null)" ] || [ $i -ge 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
check "stop" sh "$cluster" stop "$dir"
check "no daemon, step or task of the cluster left" none_left
check "stop again does nothing" sh "$cluster" stop "$dir"
# the clients (srun and the helper it forks) would give up later
kill -KILL $(pgrep -P $srun1) $(pgrep -P $srun2) $srun1 $srun2 2>/dev/null
wait
must_fail 2 "a bad command" sh "$cluster" restart "$dir" 2>/dev/null
finish
