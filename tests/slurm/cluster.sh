#!/bin/sh
# hm: a one-node Slurm cluster for the tests, as root, in a directory of
# its own: munged, slurmctld and slurmd with the configuration of
# slurm.conf.in, a fresh munge key, two free ports on 127.0.0.1.
#
#   cluster.sh start DIR   start it (stopping what DIR ran before and
#                          clearing its state), wait until sinfo shows the
#                          node idle; DIR/env then holds SLURM_CONF=...
#                          for the client commands
#   cluster.sh stop DIR    cancel its jobs, stop the daemons it started by
#                          pid, and any job step process they left
#
# Exit status: 0 done, 1 failed (the daemons' logs are in DIR), 2 usage.
set -eu
here=$(cd "$(dirname "$0")" && pwd)

usage() {
	echo "usage: cluster.sh start|stop DIR" >&2
	exit 2
}

[ $# -eq 2 ] || usage
cmd=$1
dir=$2
case $dir in
/*) ;;
*) dir=$(pwd)/$dir ;;
esac
case $dir in
*[!A-Za-z0-9/._+-]*)
	echo "cluster.sh: $dir: only letters, digits and /._+- in DIR" >&2
	exit 2
	;;
esac

# Seconds for the node to go idle, and for the daemons and the jobs to
# stop (a loaded machine answers slowly; each wait ends as soon as it can).
start_timeout=${HM_SLURM_START_TIMEOUT:-60}
stop_timeout=15

now() { date +%s; }

# alive PID: the process exists and is not a zombie (kill -0 succeeds on
# a zombie that nobody has reaped yet)
alive() {
	[ -r "/proc/$1/stat" ] || return 1
	_st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
	[ -n "$_st" ] && [ "$_st" != Z ] && [ "$_st" != X ]
}

# ours PID: the process belongs to this directory's cluster: its command
# line or one of its open files names the directory (a daemon names its
# configuration; slurmstepd holds slurmd's log open).
ours() {
	tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -qF "$dir/" && return 0
	ls -l "/proc/$1/fd" 2>/dev/null | grep -qF " -> $dir/"
}

# The pids the daemons run as: ours from DIR/pids, else from the daemons'
# own pid files (a DIR whose pids/ went missing), if they are ours.
daemon_pids() {
	for n in "$@"; do
		for f in "$dir/pids/$n" "$dir/$n.pid"; do
			[ -f "$f" ] || continue
			pid=$(cat "$f" 2>/dev/null) || continue
			case $pid in '' | *[!0-9]*) continue ;; esac
			alive "$pid" && ours "$pid" && echo "$pid"
		done
	done | sort -u
}

# wait_gone SECONDS PID...: until none is alive; 1 if some still is
wait_gone() {
	end=$(($(now) + $1))
	shift
	for pid in "$@"; do
		while alive "$pid"; do
			[ "$(now)" -lt "$end" ] || return 1
			sleep 0.1
		done
	done
}

# tree PID: the process and its descendants
tree() (
	echo "$1"
	for c in $(pgrep -P "$1" 2>/dev/null); do
		tree "$c"
	done
)

# The job step processes (slurmstepd) of this cluster.
step_pids() {
	for p in $(pgrep -x slurmstepd 2>/dev/null); do
		ours "$p" && echo "$p"
	done
}

# kill_steps: KILL the job step processes of this cluster and everything
# they started, if any are left
kill_steps() {
	ks=""
	for p in $(step_pids); do
		ks="$ks $(tree "$p")"
	done
	[ -n "$ks" ] || return 0
	echo "cluster.sh: killing the job step processes left over:" $ks >&2
	kill -KILL $ks 2>/dev/null || :
	wait_gone 5 $ks || :
}

stop_all() {
	# the jobs first, so that none outlives the cluster: cancelled, and
	# their steps' processes given 3 s to go before they are killed
	# (the cluster goes: no grace for them, no wait for the queue to
	# empty, which takes Slurm a while)
	if [ -f "$dir/slurm.conf" ] && [ -n "$(daemon_pids slurmctld)" ]; then
		export SLURM_CONF="$dir/slurm.conf"
		jobs=$(timeout 10 squeue -h -o %i 2>/dev/null) || jobs=
		[ -z "$jobs" ] || timeout 10 scancel --quiet $jobs 2>/dev/null || :
		wait_gone 3 $(step_pids) || :
	fi
	kill_steps
	# the daemons, all at once (each takes a while to shut down)
	pids=$(daemon_pids slurmd slurmctld munged)
	for pid in $pids; do
		kill -TERM "$pid" 2>/dev/null || :
	done
	if ! wait_gone "$stop_timeout" $pids; then
		for pid in $pids; do
			alive "$pid" || continue
			echo "cluster.sh: $pid did not stop in ${stop_timeout}s: killed" >&2
			kill -KILL "$pid" 2>/dev/null || :
		done
		wait_gone 5 $pids || :
	fi
	# a step that started while the daemons stopped
	kill_steps
	rm -rf "$dir/pids"
}

# A TCP port no socket uses (in /proc/net/tcp and tcp6: no tool needed),
# from a range above the usual ones.
port_used() {
	hex=$(printf ':%04X' "$1")
	cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
		awk -v h="$hex" '$2 ~ h"$" { f = 1 } END { exit !f }'
}
free_port() {
	p=$1
	while port_used "$p" || port_used $((p + 1)); do
		p=$((p + 2))
		[ "$p" -lt 65000 ] || p=20000
	done
	echo "$p"
}

# spawn NAME COMMAND...: start a daemon in the foreground of a session of
# its own (terminal signals do not reach it), output to DIR/NAME.out.
# A background process of a shell without job control is no group
# leader, so setsid execs the daemon in place and $! is its pid.
spawn() {
	name=$1
	shift
	setsid "$@" </dev/null >"$dir/$name.out" 2>&1 &
	echo $! >"$dir/pids/$name"
}

show_logs() {
	for f in "$dir"/*.log "$dir"/*.out; do
		[ -s "$f" ] || continue
		echo "--- $f" >&2
		tail -n 15 "$f" >&2
	done
}

fail() {
	echo "cluster.sh: $*" >&2
	show_logs
	stop_all
	exit 1
}

# configure: a fresh state and slurm.conf with two free ports
configure() {
	rm -rf "$dir/state" "$dir/spool" "$dir/pids" "$dir"/*.log \
		"$dir"/*.out "$dir"/*.pid "$dir/munge.socket" \
		"$dir/munge.socket.lock" "$dir/munged.seed"
	mkdir -p "$dir/state" "$dir/spool" "$dir/pids"

	host=$(hostname -s)
	cpus=$(getconf _NPROCESSORS_ONLN)
	mem=$(awk '/^MemTotal:/ { print int($2 / 1024) }' /proc/meminfo)
	# slurmd's view of the memory, if it differs (it must not be less)
	m=$(slurmd -C 2>/dev/null | sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p')
	[ -n "$m" ] && mem=$m
	ctld=$(free_port $((16817 + $$ % 1000 * 2)))
	sed -e "s|@HOST@|$host|g" -e "s|@CPUS@|$cpus|g" \
		-e "s|@MEMORY@|$mem|g" -e "s|@DIR@|$dir|g" \
		-e "s|@CTLD_PORT@|$ctld|g" -e "s|@SLURMD_PORT@|$((ctld + 1))|g" \
		"$here/slurm.conf.in" >"$dir/slurm.conf"
	echo "SLURM_CONF=$dir/slurm.conf" >"$dir/env"
}

# launch: the three daemons; 0 once the node is idle, 1 if a daemon
# exited (2 if because its port was taken meanwhile); fails on a timeout
launch() {
	spawn munged munged -F --force -S "$dir/munge.socket" \
		--key-file "$dir/munge.key" --pid-file "$dir/munged.pid" \
		--log-file "$dir/munged.log" --seed-file "$dir/munged.seed"
	end=$(($(now) + 10))
	until [ -S "$dir/munge.socket" ]; do
		[ "$(now)" -lt "$end" ] || fail "munged did not start in 10s"
		alive "$(cat "$dir/pids/munged")" || fail "munged exited"
		sleep 0.1
	done
	spawn slurmctld slurmctld -D -i -f "$dir/slurm.conf"
	spawn slurmd slurmd -D -f "$dir/slurm.conf"

	end=$(($(now) + start_timeout))
	while :; do
		state=$(timeout 10 sinfo -h -o '%t %E' 2>/dev/null) || state=
		case $state in
		idle*) [ "${state%% *}" = idle ] && return 0 ;;
		down* | drain* | fail*)
			# slurmd registered but the node is unusable
			fail "the node is '$state'" ;;
		esac
		for n in munged slurmctld slurmd; do
			alive "$(cat "$dir/pids/$n")" && continue
			if grep -qs 'Address already in use' "$dir/$n.log" \
			    "$dir/$n.out"; then
				return 2
			fi
			fail "$n exited"
		done
		[ "$(now)" -lt "$end" ] ||
			fail "the node did not become idle in ${start_timeout}s (sinfo: '${state:-no answer}')"
		sleep 0.1
	done
}

start() {
	[ "$(id -u)" = 0 ] || { echo "cluster.sh: must run as root" >&2; exit 1; }
	for b in munged mungekey slurmctld slurmd sinfo squeue scancel srun \
	    setsid pgrep timeout; do
		command -v "$b" >/dev/null 2>&1 ||
			{ echo "cluster.sh: $b not found (scripts/setup.sh installs slurm-wlm and munge)" >&2; exit 1; }
	done
	mkdir -p "$dir"
	chmod 700 "$dir"
	stop_all
	trap 'stop_all; exit 130' INT
	trap 'stop_all; exit 143' TERM
	[ -f "$dir/munge.key" ] || mungekey -c -k "$dir/munge.key" ||
		fail "cannot create a munge key"
	chmod 600 "$dir/munge.key"
	# another cluster may take a port between the choice and the bind
	tries=0
	while :; do
		configure
		export SLURM_CONF="$dir/slurm.conf"
		st=0
		launch || st=$?
		[ "$st" -eq 0 ] && break
		tries=$((tries + 1))
		[ "$tries" -lt 3 ] || fail "no free port after 3 tries"
		stop_all
	done
	trap - INT TERM
}

case $cmd in
start) start ;;
stop) stop_all ;;
*) usage ;;
esac
