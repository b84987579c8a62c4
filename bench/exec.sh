#!/bin/sh
# hm: `make bench` section exec: hm-exec -j2 against ninja -j2 and make -j2
# on the same graphs of 5,000 trivial steps (bench/exec/gen.sh writes all
# three forms), wide (5,000 independent) and 50 chains of 100, and the
# floor: a bare posix_spawn loop of `/bin/sh -c true`, two at a time
# (bench/spawnloop.c). Rounds are interleaved; each figure is the median
# of BENCH_RUNS rounds (after a warm-up). Wall time, and CPU time of the
# whole process tree (user + system, children included).
#
# Then the cost of a dynamic expansion: 20 dynamic steps baking 10 steps
# each, beside 2,000 and beside 50,000 steps that never run (they depend
# on a failing step), against the same run pre-expanded: hm-exec's own
# CPU time (its run_finished event) per expansion. Reported, never
# enforced.
. "$(dirname "$0")/lib.sh"
bench_init || exit 1
bench_cc spawnloop || exit 1
X="$BENCH_TOP/$O/hm-exec"
# the scheduler's cost: no isolation (bench/isolate.sh measures that)
HM_ISOLATE=none
export HM_ISOLATE
gen="$BENCH_TOP/bench/exec/gen.sh"
W=$BENCH_TMP
# fresh: an empty working directory for the next command
fresh() {
	cd "$BENCH_TOP" && rm -rf "$W/run" && mkdir "$W/run" && cd "$W/run"
}
ms() { [ "$1" = - ] && echo - || awk -v n="$1" 'BEGIN { printf "%.0f", n / 1e6 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
cpu_self() { sed -n 's/.*"run_finished".*"cpu_self":\([0-9.]*\).*/\1/p' "$1"; }

bench_env
sh "$gen" wide 5000 "$W/wide" || exit 1
sh "$gen" chains 50 100 "$W/chains" || exit 1
r=0
while [ "$r" -le "$BENCH_RUNS" ]; do
	for shape in wide chains; do
		d="$W/$shape"
		fresh; bench_run "$r" "hm-$shape" "$X" -j2 --log-dir "$W/run/logs" "$d/ir.json"
		fresh; bench_run "$r" "ninja-$shape" ninja -j2 -f "$d/build.ninja"
		fresh; bench_run "$r" "make-$shape" make -s -j2 -f "$d/Makefile"
	done
	fresh; bench_run "$r" floor "$BENCH_BIN/spawnloop" 5000 2
	r=$((r + 1))
done
cd "$BENCH_TOP" || exit 1
fw=$(bench_stat floor wall median); fc=$(bench_stat floor cpu median)
printf 'floor (posix_spawn of /bin/sh -c true, 5,000 at -j2): wall %s ms, cpu %s ms\n' "$(ms "$fw")" "$(ms "$fc")"
for shape in wide chains; do
	hw=$(bench_stat "hm-$shape" wall median); hc=$(bench_stat "hm-$shape" cpu median)
	nw=$(bench_stat "ninja-$shape" wall median); nc=$(bench_stat "ninja-$shape" cpu median)
	mw=$(bench_stat "make-$shape" wall median); mc=$(bench_stat "make-$shape" cpu median)
	printf '%-7s hm-exec %5s ms (cpu %5s)  ninja %5s ms (cpu %5s)  make %5s ms (cpu %5s)\n' \
	    "$shape" "$(ms "$hw")" "$(ms "$hc")" "$(ms "$nw")" "$(ms "$nc")" "$(ms "$mw")" "$(ms "$mc")"
	printf '        hm/ninja wall %s cpu %s   hm/make wall %s cpu %s   hm/floor wall %s cpu %s\n' \
	    "$(ratio "$hw" "$nw")" "$(ratio "$hc" "$nc")" "$(ratio "$hw" "$mw")" \
	    "$(ratio "$hc" "$mc")" "$(ratio "$hw" "$fw")" "$(ratio "$hc" "$fc")"
	bench_failed "hm-$shape" && echo "bench exec: hm-exec failed on $shape" >&2
done

# The cost of an expansion, beside 2,000 and 50,000 other steps.
for big in 2000 50000; do
	d="$W/dyn$big"
	sh "$gen" dynbig "$big" 20 10 "$d" || exit 1
	: >"$d/dyn"; : >"$d/sta"
	r=0
	while [ "$r" -le "$BENCH_RUNS" ]; do
		fresh
		"$X" -k -j2 --log-dir "$W/run/logs" --bake "$d/baker" --events "$d/dyn.ev" \
		    --emit-ir "$d/expanded.json" "$d/ir.json" >/dev/null 2>&1
		fresh
		"$X" -k -j2 --log-dir "$W/run/logs" --events "$d/sta.ev" "$d/expanded.json" >/dev/null 2>&1
		if [ "$r" -gt 0 ]; then
			cpu_self "$d/dyn.ev" >>"$d/dyn"; cpu_self "$d/sta.ev" >>"$d/sta"
		fi
		r=$((r + 1))
	done
	a=$(median <"$d/dyn"); b=$(median <"$d/sta")
	printf 'expansion beside %5s steps: hm-exec cpu %s s with 20 expansions, %s s pre-expanded: %s ms per expansion\n' \
	    "$big" "$a" "$b" "$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", (a - b) * 1000 / 20 }')"
done
cd "$BENCH_TOP" || exit 1
