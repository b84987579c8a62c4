#!/bin/sh
# hm: bench section "lower": hm-lower against jq -c . on one large IR
# document (bench/gen-ir.c), in v1 and in harmont's v0 form.
#
# Settings (environment): BENCH_STEPS (default 100000), BENCH_SEED
# (default 1), BENCH_RUNS (default 5), BENCH_HYPERFINE (default 1: if
# hyperfine is installed, also time hm-lower and jq with it, sequentially,
# as a cross-check). Targets: hm-lower at least 5x faster than jq, peak
# RSS under 4x the input size. They are reported, not enforced: the
# section fails only if a tool fails.
. "$(dirname "$0")/lib.sh"
: "${BENCH_STEPS:=100000}"
: "${BENCH_SEED:=1}"
: "${BENCH_HYPERFINE:=1}"
HM_LOWER="$BENCH_TOP/$O/hm-lower"
SPEEDUP_TARGET=5
RSS_TARGET=4

for t in "$HM_LOWER" jq; do
	if ! command -v "$t" >/dev/null 2>&1; then
		echo "lower: $t not found (run make, and make setup for jq)" >&2
		exit 1
	fi
done
bench_cc gen-ir || exit 1
bench_init || exit 1
v1="$BENCH_TMP/ir-v1.json"
v0="$BENCH_TMP/ir-v0.json"
"$BENCH_BIN/gen-ir" "$BENCH_STEPS" "$BENCH_SEED" >"$v1" || exit 1
"$BENCH_BIN/gen-ir" --v0 "$BENCH_STEPS" "$BENCH_SEED" >"$v0" || exit 1
v1_size=$(wc -c <"$v1" | tr -d ' ')
v0_size=$(wc -c <"$v0" | tr -d ' ')

bench_env
echo "input: gen-ir $BENCH_STEPS $BENCH_SEED: v1 $v1_size bytes" \
	"($(awk -v b="$v1_size" 'BEGIN { printf "%.1f", b / 1048576 }') MiB)," \
	"v0 $v0_size bytes" \
	"($(awk -v b="$v0_size" 'BEGIN { printf "%.1f", b / 1048576 }') MiB)"
echo "jq: $(jq --version 2>&1); runs: $BENCH_RUNS per case after 1" \
	"warm-up round, all cases interleaved round by round"

# Is the input accepted, and does the canonical compact form agree with
# jq's (the generator writes fields in canonical order)?
status=0
if ! "$HM_LOWER" --check "$v1" 2>"$BENCH_TMP/check.err"; then
	echo "lower: hm-lower --check rejects the v1 input:" >&2
	head -n 10 "$BENCH_TMP/check.err" >&2
	status=1
fi
if ! "$HM_LOWER" --check "$v0" 2>"$BENCH_TMP/check.err"; then
	echo "lower: hm-lower --check rejects the v0 input:" >&2
	head -n 10 "$BENCH_TMP/check.err" >&2
	status=1
fi
if "$HM_LOWER" --compact "$v1" >"$BENCH_TMP/hm.out" 2>/dev/null &&
   jq -c . "$v1" >"$BENCH_TMP/jq.out" &&
   cmp -s "$BENCH_TMP/hm.out" "$BENCH_TMP/jq.out"; then
	echo "hm-lower --compact output is byte-identical to jq -c: yes"
else
	echo "hm-lower --compact output is byte-identical to jq -c: no"
fi
rm -f "$BENCH_TMP/hm.out" "$BENCH_TMP/jq.out"

r=0
while [ "$r" -le "$BENCH_RUNS" ]; do
	bench_run "$r" lower "$HM_LOWER" "$v1"
	bench_run "$r" jq jq -c . "$v1"
	bench_run "$r" lower-compact "$HM_LOWER" --compact "$v1"
	bench_run "$r" lower-check "$HM_LOWER" --check "$v1"
	bench_run "$r" lower-v0 "$HM_LOWER" "$v0"
	bench_run "$r" jq-v0 jq -c . "$v0"
	r=$((r + 1))
done

echo
printf '%-14s %-34s %9s %9s %9s %9s %6s\n' case command "wall ms" \
	"min ms" "cpu ms" "RSS MiB" "RSS/in"
row() {
	_case=$1 _cmd=$2 _size=$3
	if bench_failed "$_case"; then
		printf '%-14s %-34s %s\n' "$_case" "$_cmd" \
			"FAILED (exit $(bench_stat "$_case" status max))"
		status=1
		return
	fi
	printf '%-14s %-34s %9.1f %9.1f %9.1f %9.1f %6.2f\n' "$_case" "$_cmd" \
		"$(bench_stat "$_case" wall median | awk '{ print $1 / 1e6 }')" \
		"$(bench_stat "$_case" wall min | awk '{ print $1 / 1e6 }')" \
		"$(bench_stat "$_case" cpu median | awk '{ print $1 / 1e6 }')" \
		"$(bench_stat "$_case" rss max | awk '{ print $1 / 1024 }')" \
		"$(bench_stat "$_case" rss max |
			awk -v s="$_size" '{ print $1 * 1024 / s }')"
}
row lower "hm-lower v1.json" "$v1_size"
row lower-compact "hm-lower --compact v1.json" "$v1_size"
row lower-check "hm-lower --check v1.json" "$v1_size"
row jq "jq -c . v1.json" "$v1_size"
row lower-v0 "hm-lower v0.json" "$v0_size"
row jq-v0 "jq -c . v0.json" "$v0_size"
echo "(wall, cpu: medians of $BENCH_RUNS runs; min: fastest run;" \
	"RSS: peak over the runs)"

# speedup HM JQ WHAT: jq's median wall time over hm-lower's.
speedup() {
	if bench_failed "$1" || bench_failed "$2"; then
		echo "speed-up $3: not measured"
		return
	fi
	awk -v hm="$(bench_stat "$1" wall median)" \
		-v jq="$(bench_stat "$2" wall median)" \
		-v hmc="$(bench_stat "$1" cpu median)" \
		-v jqc="$(bench_stat "$2" cpu median)" \
		-v t="$SPEEDUP_TARGET" -v what="$3" 'BEGIN {
		x = jq / hm
		printf "speed-up %s: %.1fx wall (cpu %.1fx); target >= %gx: %s\n",
			what, x, jqc / hmc, t, (x >= t ? "target met" : "target missed")
	}'
}

# rss HM SIZE WHAT: hm-lower's peak RSS over the input size.
rss() {
	if bench_failed "$1"; then
		echo "peak RSS / input, $3: not measured"
		return
	fi
	awk -v kb="$(bench_stat "$1" rss max)" -v s="$2" \
		-v t="$RSS_TARGET" -v what="$3" 'BEGIN {
		x = kb * 1024 / s
		printf "peak RSS / input, %s: %.2fx (%.1f MiB / %.1f MiB);" \
			" target < %gx: %s\n", what, x, kb / 1024, s / 1048576,
			t, (x < t ? "target met" : "target missed")
	}'
}

echo
speedup lower jq "hm-lower over jq -c . (v1)"
speedup lower-compact jq "hm-lower --compact over jq -c . (v1)"
speedup lower-check jq "hm-lower --check over jq -c . (v1)"
speedup lower-v0 jq-v0 "hm-lower over jq -c . (v0)"
rss lower "$v1_size" "hm-lower (v1)"
rss lower-compact "$v1_size" "hm-lower --compact (v1)"
rss lower-check "$v1_size" "hm-lower --check (v1)"
rss lower-v0 "$v0_size" "hm-lower (v0)"

# The same two main cases through hyperfine, which runs each command's
# runs back to back (not interleaved): a cross-check of the timing.
if [ "$BENCH_HYPERFINE" != 0 ] && command -v hyperfine >/dev/null 2>&1 &&
   ! bench_failed lower && ! bench_failed jq; then
	echo
	if hyperfine -N --style none --warmup 1 --runs "$BENCH_RUNS" \
		--export-json "$BENCH_TMP/hf.json" \
		-n hm-lower "$HM_LOWER $v1" -n jq "jq -c . $v1" \
		>/dev/null 2>"$BENCH_TMP/hf.err"; then
		jq -r '.results[] | select(.command == "hm-lower" or
			.command == "jq") | "\(.command) \(.median)"' \
			"$BENCH_TMP/hf.json" | awk '
			{ m[$1] = $2 }
			END {
				printf "hyperfine (runs back to back, not" \
				    " interleaved): hm-lower median %.1f ms," \
				    " jq median %.1f ms: speed-up %.1fx\n",
				    m["hm-lower"] * 1000, m["jq"] * 1000,
				    m["jq"] / m["hm-lower"]
			}'
	else
		echo "hyperfine failed:" >&2
		head -n 5 "$BENCH_TMP/hf.err" >&2
	fi
fi
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"
exit "$status"
