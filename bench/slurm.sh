#!/bin/sh
# hm: `make bench` section slurm: what the Slurm runner adds per step over
# srun itself. A chain of N no-op steps (`true`) run by hm-exec --runner
# slurm (-j1: one srun at a time) against N `srun true` one after another
# from a shell, in interleaved rounds (BENCH_RUNS, default 3, after a
# warm-up round); medians. Needs a Slurm controller that answers
# (SLURM_CONF; tests/slurm/cluster.sh starts one): without one the
# section says so and succeeds. Reported, never enforced.
: "${O:=build}"
: "${BENCH_RUNS:=3}"
: "${BENCH_SLURM_STEPS:=10}"
TOP=$(cd "$(dirname "$0")/.." && pwd)
X="$TOP/$O/hm-exec"
N=$BENCH_SLURM_STEPS

if ! command -v srun >/dev/null 2>&1 ||
	! timeout 20 sinfo --noheader --format=%t 2>/dev/null | grep -q idle; then
	echo "slurm: skipped: no Slurm controller answers (SLURM_CONF=${SLURM_CONF:-unset}); tests/slurm/cluster.sh start DIR starts one"
	exit 0
fi
W=$(mktemp -d "${TMPDIR:-/tmp}/hm-bench-slurm.XXXXXX")
trap 'rm -rf "$W"' EXIT

# the chain: s1 <- s2 <- ... <- sN
{
	printf '{"version":"1","steps":[\n'
	i=1
	while [ "$i" -le "$N" ]; do
		prev=null
		[ "$i" -gt 1 ] && prev="\"s$((i - 1))\""
		sep=,
		[ "$i" -eq "$N" ] && sep=
		printf ' {"type":"command","key":"s%d","eval":{"type":"cmd","cmd":"true"},"builds_in":%s}%s\n' \
			"$i" "$prev" "$sep"
		i=$((i + 1))
	done
	printf ']}\n'
} >"$W/chain.json"

ns() { date +%s%N; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
srun_loop() {
	i=0
	while [ "$i" -lt "$N" ]; do
		srun --quiet true || return 1
		i=$((i + 1))
	done
}

: >"$W/hm"
: >"$W/srun"
r=0
while [ "$r" -le "$BENCH_RUNS" ]; do
	t0=$(ns)
	(cd "$W" && "$X" --runner slurm -j1 --log-dir "$W/logs" chain.json) \
		>/dev/null 2>&1 || echo "bench slurm: hm-exec failed" >&2
	t1=$(ns)
	(cd "$W" && srun_loop) >/dev/null 2>&1 || echo "bench slurm: srun failed" >&2
	t2=$(ns)
	if [ "$r" -gt 0 ]; then
		echo $((t1 - t0)) >>"$W/hm"
		echo $((t2 - t1)) >>"$W/srun"
	fi
	r=$((r + 1))
done
h=$(median <"$W/hm")
s=$(median <"$W/srun")
awk -v h="$h" -v s="$s" -v n="$N" 'BEGIN {
	printf "slurm: %d steps in a chain: hm-exec --runner slurm %.0f ms, %d x srun true %.0f ms\n", n, h / 1e6, n, s / 1e6
	printf "slurm: per step %.0f ms against %.0f ms for srun true: the runner adds %.0f ms per step (x%.2f)\n", h / n / 1e6, s / n / 1e6, (h - s) / n / 1e6, h / s
}'
