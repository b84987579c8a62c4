#!/bin/sh
# hm: `make bench` section exec: hm-exec -j2 against ninja -j2 and make -j2
# on the same graphs of trivial steps (bench/exec/gen.sh writes all three
# forms), wide (5,000 independent) and 50 chains of 100; hm-exec's own CPU
# time (getrusage(RUSAGE_SELF), from its run_finished event) at 5,000 and
# 50,000 steps; 200 dynamic steps of 10 steps each against the same 2,000
# steps already expanded. Wall times are the median of BENCH_RUNS rounds
# (default 3), interleaved. Reported, never enforced.
: "${O:=build}"
: "${BENCH_RUNS:=3}"
TOP=$(cd "$(dirname "$0")/.." && pwd)
X="$TOP/$O/hm-exec"
W=$(mktemp -d "${TMPDIR:-/tmp}/hm-bench-exec.XXXXXX")
trap 'rm -rf "$W"' EXIT
gen="$TOP/bench/exec/gen.sh"

ns() { date +%s%N; }
# wall CMD...: run in $W/run, print nanoseconds
wall() {
	rm -rf "$W/run"; mkdir "$W/run"
	t0=$(ns)
	(cd "$W/run" && "$@") >/dev/null 2>&1 || echo "bench exec: failed: $*" >&2
	t1=$(ns)
	echo $((t1 - t0))
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ms() { awk -v n="$1" 'BEGIN { printf "%.0f", n / 1e6 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
cpu() { grep '"run_finished"' "$1" | sed 's/.*"cpu_self":\([0-9.]*\).*/\1/'; }

sh "$gen" wide 5000 "$W/wide"
sh "$gen" chains 50 100 "$W/chains"
for shape in wide chains; do
	d="$W/$shape"
	: >"$d/hm" ; : >"$d/ninja"; : >"$d/make"
	r=0
	while [ $r -le "$BENCH_RUNS" ]; do
		a=$(wall "$X" -j2 --log-dir "$W/logs" "$d/ir.json")
		b=$(wall ninja -j2 -f "$d/build.ninja")
		c=$(wall make -s -j2 -f "$d/Makefile")
		if [ $r -gt 0 ]; then
			echo "$a" >>"$d/hm"; echo "$b" >>"$d/ninja"; echo "$c" >>"$d/make"
		fi
		r=$((r + 1))
	done
	h=$(median <"$d/hm"); n=$(median <"$d/ninja"); m=$(median <"$d/make")
	printf '%-26s hm-exec %6s ms  ninja %6s ms  make %6s ms  hm/ninja %s  hm/make %s\n' \
	    "$shape ($(grep -c '"key"' "$d/ir.json") steps, -j2)" "$(ms "$h")" \
	    "$(ms "$n")" "$(ms "$m")" "$(ratio "$h" "$n")" "$(ratio "$h" "$m")"
done

# The scheduler's own CPU: O(steps + edges) means ~10x from 5,000 to 50,000.
sh "$gen" chains 500 100 "$W/big"
for f in chains big; do
	rm -rf "$W/run"; mkdir "$W/run"
	(cd "$W/run" && "$X" -j2 --log-dir "$W/logs" --events "$W/$f.ev" "$W/$f/ir.json" >/dev/null 2>&1)
done
c5=$(cpu "$W/chains.ev"); c50=$(cpu "$W/big.ev")
printf 'hm-exec own CPU (user+sys): 5,000 steps %ss, 50,000 steps %ss (x%s; %s us/step)\n' \
    "$c5" "$c50" "$(awk -v a="$c50" -v b="$c5" 'BEGIN { printf "%.1f", a / b }')" \
    "$(awk -v a="$c50" 'BEGIN { printf "%.1f", a * 1e6 / 50000 }')"

# Dynamic: 200 placeholders baking 10 steps each, against the expanded IR.
sh "$gen" dynamic 200 10 "$W/dyn"
: >"$W/dyn/d"; : >"$W/dyn/s"
r=0
while [ $r -le "$BENCH_RUNS" ]; do
	a=$(wall "$X" -j2 --log-dir "$W/logs" --bake "$W/dyn/baker" --events "$W/dyn.ev" --emit-ir "$W/dyn/expanded.json" "$W/dyn/ir.json")
	b=$(wall "$X" -j2 --log-dir "$W/logs" --events "$W/sta.ev" "$W/dyn/expanded.json")
	if [ $r -gt 0 ]; then echo "$a" >>"$W/dyn/d"; echo "$b" >>"$W/dyn/s"; fi
	r=$((r + 1))
done
d=$(median <"$W/dyn/d"); s=$(median <"$W/dyn/s")
cd_=$(cpu "$W/dyn.ev"); cs=$(cpu "$W/sta.ev")
printf 'dynamic: 200 bakes x 10 steps %s ms, same 2,000 steps pre-expanded %s ms: %s ms per expansion (baker process included), hm-exec CPU %s ms per expansion\n' \
    "$(ms "$d")" "$(ms "$s")" "$(awk -v a="$d" -v b="$s" 'BEGIN { printf "%.2f", (a - b) / 200 / 1e6 }')" \
    "$(awk -v a="$cd_" -v b="$cs" 'BEGIN { printf "%.2f", (a - b) * 1000 / 200 }')"
