#!/bin/sh
# hm: bench section "bake": hm-bake on a large generated definition
# (bench/bake/gen-def.c: BENCH_TARGETS targets of 5 steps) against the
# floor, a bare libyaml parse of the same file (bench/bake/yamlparse.c);
# then the latency of one --target call on that file and on a 50-target
# definition, which hm-exec pays for every dynamic step.
#
# Settings (environment): BENCH_TARGETS (default 10000), BENCH_RUNS
# (default 5), BENCH_HYPERFINE (default 1: if hyperfine is installed, the
# small --target latency is also measured with it, 200 runs).
# Targets (reported, not enforced): the full bake within 3x of the parse,
# --target on the 50-target definition under 5 ms.
. "$(dirname "$0")/lib.sh"
: "${BENCH_TARGETS:=10000}"
: "${BENCH_HYPERFINE:=1}"
HM_BAKE="$BENCH_TOP/$O/hm-bake"
RATIO_TARGET=3
LATENCY_TARGET_MS=5

if [ ! -x "$HM_BAKE" ]; then
	echo "bake: $HM_BAKE not found (run make)" >&2
	exit 1
fi
mkdir -p "$BENCH_BIN/bake" || exit 1
# shellcheck disable=SC2086
${CC:-cc} $BENCH_CFLAGS -o "$BENCH_BIN/bake/gen-def" \
	"$BENCH_TOP/bench/bake/gen-def.c" || exit 1
# shellcheck disable=SC2086
${CC:-cc} $BENCH_CFLAGS $(pkg-config --cflags yaml-0.1) \
	-o "$BENCH_BIN/bake/yamlparse" "$BENCH_TOP/bench/bake/yamlparse.c" \
	$(pkg-config --libs yaml-0.1) || exit 1
bench_init || exit 1
big="$BENCH_TMP/big.yml"
small="$BENCH_TMP/small.yml"
"$BENCH_BIN/bake/gen-def" "$BENCH_TARGETS" >"$big" || exit 1
"$BENCH_BIN/bake/gen-def" 50 >"$small" || exit 1
big_size=$(wc -c <"$big" | tr -d ' ')
# the last target is dynamic (every 100th is); on the small file, t49
bigt="t$(( (BENCH_TARGETS / 100) * 100 - 1 ))"
[ "$BENCH_TARGETS" -lt 100 ] && bigt=t0

bench_env
"$HM_BAKE" --compact "$big" >"$BENCH_TMP/big.json" || exit 1
steps=$(grep -o '"type":"command"' "$BENCH_TMP/big.json" | wc -l | tr -d ' ')
echo "input: gen-def $BENCH_TARGETS: $big_size bytes" \
	"($(awk -v b="$big_size" 'BEGIN { printf "%.1f", b / 1048576 }') MiB)," \
	"$steps command steps baked; runs: $BENCH_RUNS per case after 1" \
	"warm-up round, interleaved"

r=0
while [ "$r" -le "$BENCH_RUNS" ]; do
	bench_run "$r" parse "$BENCH_BIN/bake/yamlparse" "$big"
	bench_run "$r" bake "$HM_BAKE" "$big"
	bench_run "$r" target-big "$HM_BAKE" --target "$bigt" "$big"
	bench_run "$r" target-small "$HM_BAKE" --target t49 "$small"
	r=$((r + 1))
done

status=0
for n in parse bake target-big target-small; do
	bench_failed "$n" && status=1
done
ms() {
	awk -v v="$1" 'BEGIN { if (v == "-") print "-"; else printf "%.1f", v / 1e6 }'
}
mib() {
	awk -v v="$1" 'BEGIN { if (v == "-") print "-"; else printf "%.1f", v / 1024 }'
}
pw=$(bench_stat parse wall median)
bw=$(bench_stat bake wall median)
prss=$(bench_stat parse rss median)
brss=$(bench_stat bake rss median)
tbw=$(bench_stat target-big wall median)
tsw=$(bench_stat target-small wall median)
tsmin=$(bench_stat target-small wall min)
ratio=$(awk -v a="$bw" -v b="$pw" 'BEGIN { printf "%.2f", a / b }')
rss_ratio=$(awk -v a="$brss" -v b="$prss" 'BEGIN { printf "%.1f", a / b }')
printf '%-34s %10s %10s\n' "case (median)" "wall ms" "peak MiB"
printf '%-34s %10s %10s\n' "libyaml parse (floor)" "$(ms "$pw")" "$(mib "$prss")"
printf '%-34s %10s %10s\n' "hm-bake (full bake)" "$(ms "$bw")" "$(mib "$brss")"
printf '%-34s %10s %10s\n' "hm-bake --target $bigt (big)" "$(ms "$tbw")" \
	"$(mib "$(bench_stat target-big rss median)")"
printf '%-34s %10s %10s\n' "hm-bake --target t49 (50 targets)" "$(ms "$tsw")" \
	"$(mib "$(bench_stat target-small rss median)")"
verdict=$(awk -v r="$ratio" -v t="$RATIO_TARGET" 'BEGIN { print (r <= t) ? "met" : "MISSED" }')
echo "full bake / parse: ${ratio}x wall (target <= ${RATIO_TARGET}x: $verdict)," \
	"${rss_ratio}x peak RSS"
small_ms=$(ms "$tsw")
if [ "$BENCH_HYPERFINE" = 1 ] && command -v hyperfine >/dev/null 2>&1; then
	hyperfine -N -w 20 -r 200 --export-json "$BENCH_TMP/hf.json" \
		"$HM_BAKE --target t49 $small" >/dev/null 2>&1 &&
		small_ms=$(jq -r '.results[0].mean * 1000 | . * 100 | round / 100' \
			"$BENCH_TMP/hf.json" 2>/dev/null || echo "$small_ms")
	echo "--target t49 on 50 targets, hyperfine mean of 200 runs: $small_ms ms"
fi
verdict=$(awk -v m="$small_ms" -v t="$LATENCY_TARGET_MS" 'BEGIN { print (m < t) ? "met" : "MISSED" }')
echo "--target latency on 50 targets: $small_ms ms (min $(ms "$tsmin") ms;" \
	"target < $LATENCY_TARGET_MS ms: $verdict)"
exit $status
