#!/bin/sh
# hm: the Slurm runner against a real cluster (no mock of srun): the same
# documents run with --runner local and --runner slurm must give the same
# exit status, events (less timings), logs, outputs, files and --emit-ir:
# chains, groups in each continuation mode, each replicas, waits with
# continue_on_failure, soft_fail, retry, timeouts (TERM, grace, KILL), a
# dynamic step whose fragment runs on the cluster with outputs flowing to
# a later bake, SIGINT mid-run (then nothing left in squeue). Then a
# step's own runner, runner_args, and an unreachable cluster (exit 69).
#
# Needs a controller that answers (SLURM_CONF): .ci/run starts one with
# tests/slurm/cluster.sh. Without one this test is skipped (exit 77),
# unless HM_TEST_SLURM=required, when that is a failure.
. "$(dirname "$0")/lib.sh"
D="$TOP/testdata/exec-slurm"
B="$TOP/testdata/exec/baker.sh"
X="$HM_EXEC"

if ! command -v sinfo >/dev/null 2>&1 ||
	! timeout 20 sinfo --noheader --format=%t >"$TMP/sinfo" 2>&1 ||
	! grep -q idle "$TMP/sinfo"; then
	why="no Slurm controller answers (SLURM_CONF=${SLURM_CONF:-unset}: $(tail -n 1 "$TMP/sinfo" 2>/dev/null)); .ci/run starts one with tests/slurm/cluster.sh"
	if [ "${HM_TEST_SLURM:-}" = required ]; then
		fail "$why"
		finish
	fi
	rm -rf "$TMP"
	echo "$why"
	exit 77
fi
HM_TEST_INVOKED=from-the-invoking-shell
export HM_TEST_INVOKED

# our_jobs: the jobs of hm-exec runs the cluster still has, in any state
# but finished (completing ones too: their processes may still run).
our_jobs() {
	squeue --noheader --format=%j |
		grep '^hm-'
}

# norm_events FILE: the events less timings, sorted (parallel steps
# finish in any order).
# Slurm signals a step's processes one by one, the deepest first: a shell
# whose child died of signal N may exit 128+N before its own signal
# arrives. For an attempt that was stopped (canceled or timed out), the
# two read the same; any other exit status is compared as it is.
norm_events() {
	jq -S -c 'del(.t, .duration, .cpu_self, .run_id) |
		if (.status == "canceled" or .timed_out == true) and
		    (.exit_code // 0) > 128
		then .signal = .exit_code - 128 | del(.exit_code) else . end' \
		"$1" | sort
}

# run NAME RUNNER ARGS...: testdata/exec-slurm/NAME.json in a directory
# of its own, TMP/NAME.RUNNER.
run() {
	name=$1 runner=$2
	shift 2
	dir="$TMP/$name.$runner"
	mkdir -p "$dir"
	sed "s|DEF|$D/def|" "$D/$name.json" >"$dir/doc.json"
	(
		cd "$dir" || exit 1
		HM_TEST_CWD=$(pwd) BAKE_LOG=bakes FRAGS="$D" "$X" --runner "$runner" \
			--bake "$B" --log-dir logs --events ev.jsonl \
			--emit-ir emit.json "$@" doc.json >out 2>&1
		echo $? >status
	)
}

# same_run NAME ARGS...: NAME under both runners, compared.
same_run() {
	name=$1
	shift
	run "$name" local "$@"
	run "$name" slurm "$@"
	l="$TMP/$name.local" s="$TMP/$name.slurm"
	same "$l/status" "$s/status" "$name: exit status"
	# every attempt of a command step went to the cluster: one job each
	# (the controller keeps finished jobs for MinJobAge, 60 s)
	rid=$(head -n 1 "$s/ev.jsonl" | jq -r .run_id)
	jq -r 'select(.event == "step_started" and .kind == "command") |
		.key' "$s/ev.jsonl" | wc -l >"$s/attempts"
	squeue --noheader --states=all --format=%j |
		grep -c "^hm-$rid-" >"$s/jobs"
	same "$s/attempts" "$s/jobs" "$name: one Slurm job per attempt"
	norm_events "$l/ev.jsonl" >"$l/ev.norm"
	norm_events "$s/ev.jsonl" >"$s/ev.norm"
	same "$l/ev.norm" "$s/ev.norm" "$name: events"
	same "$l/emit.json" "$s/emit.json" "$name: --emit-ir"
	(cd "$l/logs" && find . -type f | sort) >"$l/files"
	(cd "$s/logs" && find . -type f | sort) >"$s/files"
	same "$l/files" "$s/files" "$name: files in the log directory"
	while read -r f; do
		case $f in
		*/outputs.json)
			# keys in the order steps passed
			jq -S . "$l/logs/$f" >"$l/outputs.sorted"
			jq -S . "$s/logs/$f" >"$s/outputs.sorted"
			same "$l/outputs.sorted" "$s/outputs.sorted" "$name: $f" ;;
		*.log)
			# Slurm signals the processes of a job step one by one,
			# not as a group: a shell may see its child killed and
			# say so before it is killed itself
			grep -vx 'Terminated\|Killed' "$l/logs/$f" >"$l/log"
			grep -vx 'Terminated\|Killed' "$s/logs/$f" >"$s/log"
			same "$l/log" "$s/log" "$name: $f" ;;
		*) same "$l/logs/$f" "$s/logs/$f" "$name: $f" ;;
		esac
	done <"$l/files"
	for f in order bakes; do
		[ -f "$l/$f" ] || [ -f "$s/$f" ] || continue
		sort "$l/$f" >"$l/$f.sorted" 2>/dev/null
		sort "$s/$f" >"$s/$f.sorted" 2>/dev/null
		same "$l/$f.sorted" "$s/$f.sorted" "$name: $f"
	done
}

# 1. The semantic suite, each document under both runners.
same_run chain -k -j2
ev="$TMP/chain.slurm/ev.jsonl"
check "chain: exit status 1" test "$(cat "$TMP/chain.slurm/status")" = 1
check "chain: a failure's exit status" grep -q '"key":"c".*"exit_code":3' "$ev"
check "chain: the environment reached the task" grep -q \
	'b: 1 hm step-wins from-step b b 1 /bin/sh from-the-invoking-shell' \
	"$TMP/chain.slurm/logs/b.log"
check "chain: the task ran in hm-exec's directory" \
	grep -q same-cwd "$TMP/chain.slurm/logs/b.log"
check "chain: stdout and stderr in order" test \
	"$(tr '\n' ' ' <"$TMP/chain.slurm/logs/a.log")" = "a-out a-err a-again "
check "chain: a signal is a signal" grep -q '"key":"term".*"signal":15' "$ev"
check "chain: exit 143 is an exit" \
	grep -q '"key":"exit143".*"exit_code":143' "$ev"
check "chain: outputs collected" grep -q '"v": "1"' \
	"$TMP/chain.slurm/logs/outputs.json"
same_run groups -k -j2
check "groups: one replica per leaf that passed" \
	test "$(grep -c '^replica' "$TMP/groups.slurm/order")" = 2
same_run waits -j2
check "waits: the retry ran twice" \
	test "$(grep -c '^try' "$TMP/waits.slurm/logs/flaky.log")" = 2
check "waits: cleanup ran behind continue_on_failure" \
	grep -q 'cleanup runs' "$TMP/waits.slurm/logs/cleanup.log"
same_run timeouts -k -j2 --grace 2
ev="$TMP/timeouts.slurm/ev.jsonl"
check "timeouts: TERM at the deadline" \
	grep -q '"key":"sleeps".*"timed_out":true.*\("signal":15\|"exit_code":143\)' "$ev"
check "timeouts: KILL after the grace period" \
	grep -q '"key":"ignores".*"timed_out":true.*\("signal":9\|"exit_code":137\)' "$ev"
check "timeouts: a trapped TERM, then its own exit" \
	grep -q '"key":"traps".*"timed_out":true.*"exit_code":7' "$ev"
same_run dynamic -j2
check "dynamic: the fragment chose by an output and ran" \
	grep -q 'after big two' "$TMP/dynamic.slurm/logs/after.log"
check "dynamic: the placeholder's env reached the fragment's task" \
	grep -q 'big1 inherited' "$TMP/dynamic.slurm/logs/run%big1.log"
check "dynamic: both bakes ran, on the coordinator" test \
	"$(cut -d' ' -f1 "$TMP/dynamic.slurm/bakes" | tr '\n' ' ')" = "pick second "
check "dynamic: a later bake's fragment saw an earlier fragment's output" \
	grep -q 'last sees big' "$TMP/dynamic.slurm/logs/again%last.log"
check "no job left in squeue after the runs" test -z "$(our_jobs)"

# 2. SIGINT mid-run: the running jobs are cancelled, the queued step never
# starts, hm-exec dies by SIGINT, and the cluster keeps no job of it.
for runner in local slurm; do
	dir="$TMP/sigint.$runner"
	mkdir -p "$dir"
	(
		cd "$dir" || exit 1
		"$X" --runner "$runner" -j2 --grace 2 --log-dir logs \
			--events ev.jsonl "$D/sigint.json" >out 2>&1 &
		pid=$!
		i=0
		while [ "$(cat one.started two.started 2>/dev/null | wc -l)" -lt 2 ] &&
			[ $i -lt 300 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -INT $pid
		wait $pid
		echo $? >status
		# at once: hm-exec is gone, so must its jobs be
		[ "$runner" = local ] || our_jobs >left
	)
	check "sigint ($runner): shell status 130" test "$(cat "$dir/status")" = 130
	check "sigint ($runner): the queued step never ran" test ! -e "$dir/three.ran"
	# the runner's own helpers (scancel) are not steps' leftovers
	check "sigint ($runner): nothing reported left behind" \
		test -z "$(grep 'processes behind' "$dir/out")"
	norm_events "$dir/ev.jsonl" >"$dir/ev.norm"
done
same "$TMP/sigint.local/ev.norm" "$TMP/sigint.slurm/ev.norm" "sigint: events"
check "sigint: nothing left in squeue when hm-exec exits" \
	test ! -s "$TMP/sigint.slurm/left"
check "sigint: nothing left in squeue" test -z "$(our_jobs)"

# 3. A step's own runner: without --runner, only "runner": "slurm" goes to
# the cluster, with its runner_args as srun's options.
cd "$TMP" || exit 1
cat >own.json <<'JSON'
{"version":"1","steps":[
 {"type":"command","key":"here","eval":{"type":"cmd","cmd":"echo \"job=${SLURM_JOB_ID:-none}\""},"builds_in":null},
 {"type":"command","key":"there","eval":{"type":"cmd","cmd":"echo \"job=${SLURM_JOB_ID:-none} cpus=$SLURM_CPUS_PER_TASK\""},"builds_in":null,
  "runner":"slurm","runner_args":{"partition":"PART","cpus":1,"memory":"64M","time_limit":5}},
 {"type":"command","key":"elsewhere","eval":{"type":"cmd","cmd":"echo \"job=${SLURM_JOB_ID:-none}\""},"builds_in":null,
  "runner":"freestyle","runner_args":{"region":"ignored"}}
]}
JSON
part=$(sinfo --noheader --format=%R | head -n 1)
sed -i "s/PART/$part/" own.json
check "own runner: runs" "$X" --log-dir own-logs own.json >own.out 2>&1
check "own runner: a step without runner runs locally" \
	grep -q 'job=none' own-logs/here.log
check "own runner: 'runner: slurm' runs on the cluster, with its options" \
	grep -q "job=[0-9][0-9]* cpus=1" own-logs/there.log
check "own runner: an unknown runner is recorded only" \
	grep -q 'job=none' own-logs/elsewhere.log

# 4. runner_args are checked before anything runs, with their position.
cat >badargs.json <<'JSON'
{"version":"1","steps":[
 {"type":"command","key":"a","eval":{"type":"cmd","cmd":"touch ran"},"builds_in":null,
  "runner_args":{"partition":"x","nodes":2}}
]}
JSON
must_fail 65 "--runner slurm: unknown option" "$X" --runner slurm badargs.json >bad.out 2>&1
check "unknown option: positioned error" grep -q \
	"badargs.json:3:34: error: runner 'slurm' has no option 'nodes'" bad.out
check "unknown option: nothing ran" test ! -e ran
check "the local runner ignores runner_args" "$X" badargs.json >/dev/null 2>&1
rm -f ran

# 5. An unreachable runner: exit 69 before any step runs, with the
# backend's own message.
cat >one.json <<'JSON'
{"version":"1","steps":[
 {"type":"command","key":"a","eval":{"type":"cmd","cmd":"touch ran"},"builds_in":null}
]}
JSON
mkdir -p empty
must_fail 69 "srun missing" env PATH="$TMP/empty" "$X" --runner slurm one.json >nosrun.out 2>&1
check "srun missing: says so" grep -q "'srun' is not in PATH" nosrun.out
printf 'ClusterName=none\nSlurmctldHost=localhost\nSlurmctldPort=1\nAuthType=auth/none\n' >down.conf
must_fail 69 "controller down" env SLURM_CONF="$TMP/down.conf" "$X" --runner slurm one.json >down.out 2>&1
check "controller down: Slurm's message" grep -q \
	"the cluster does not answer: .*Unable to contact slurm controller" down.out
sed 's/"builds_in":null/"builds_in":null,"runner":"slurm","runner_args":{"partition":"no-such-partition"}/' one.json >nopart.json
must_fail 69 "unknown partition" "$X" nopart.json >nopart.out 2>&1
check "unknown partition: names it" grep -q "partition 'no-such-partition' does not exist" nopart.out
check "unreachable: nothing ran" test ! -e ran
must_fail 64 "unknown --runner" "$X" --runner nowhere one.json >unknown.out 2>&1

# 6. -j: 32 steps in flight by default with --runner slurm, as given
# otherwise (no make jobserver here)
env -u MAKEFLAGS "$X" --runner slurm --log-dir j-logs --events j32.jsonl \
	one.json >/dev/null 2>&1
check "--runner slurm: -j 32 by default" grep -q '"jobs":32' j32.jsonl
env -u MAKEFLAGS "$X" --runner slurm -j3 --log-dir j-logs --events j3.jsonl \
	one.json >/dev/null 2>&1
check "--runner slurm -j3: 3" grep -q '"jobs":3,' j3.jsonl

finish
