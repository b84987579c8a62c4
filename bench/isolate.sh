#!/bin/sh
# hm: `make bench` section isolate: what a snapshot per step costs.
# hm-exec -j2 with --isolate=overlay and --isolate=copy against
# --isolate=none: a chain of 200 trivial steps (per-step overhead) and a
# real build (hm-lower built from this tree, then two steps that use it:
# a fork). Then the cache: the same build with cache: forever, the second
# run (every state cached) against the first. Medians of BENCH_RUNS
# rounds (default 3), interleaved, as ratios. Reported, never enforced.
: "${O:=build}"
: "${BENCH_RUNS:=3}"
TOP=$(cd "$(dirname "$0")/.." && pwd)
X="$TOP/$O/hm-exec"
W=$(mktemp -d "${TMPDIR:-/tmp}/hm-bench-isolate.XXXXXX")
trap 'rm -rf "$W"' EXIT

if ! "$TOP/$O/hm-sandbox" -C "$W" --probe "$W" >"$W/probe" 2>&1; then
	echo "bench isolate: no overlay here: $(cat "$W/probe")"
	exit 0
fi
ns() { date +%s%N; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ms() { awk -v n="$1" 'BEGIN { printf "%.1f", n / 1e6 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# wall WS MODE DOC [ARGS]: one run in a fresh copy of WS; nanoseconds
wall() {
	ws=$1 mode=$2 doc=$3; shift 3
	rm -rf "$W/run"
	cp -a "$ws" "$W/run"
	t0=$(ns)
	(cd "$W/run" && "$X" -j2 --isolate="$mode" --store "$W/store" \
		--log-dir "$W/logs" "$@" "$doc") >"$W/out" 2>&1 ||
		{ echo "bench isolate: failed: $mode $doc" >&2; tail -5 "$W/out" >&2; }
	t1=$(ns)
	echo $((t1 - t0))
}

# trivial steps: a chain of 200
mkdir -p "$W/empty"
awk 'BEGIN {
	print "{\"version\": \"1\", \"steps\": ["
	for (i = 1; i <= 200; i++)
		printf "{\"type\": \"command\", \"key\": \"s%d\", \"eval\": {\"type\": \"cmd\", \"cmd\": \"true\"}, \"builds_in\": %s}%s\n", i, i == 1 ? "null" : "\"s" (i - 1) "\"", i < 200 ? "," : ""
	print "]}"
}' >"$W/chain.json"

# a real build: this tree's sources, hm-lower built, then used twice
mkdir -p "$W/src/testdata/lower"
cp -R "$TOP/libhm" "$TOP/hm-lower" "$TOP/Makefile" "$TOP/VERSION" "$W/src/"
cp -R "$TOP/testdata/lower/harmont" "$W/src/testdata/lower/"
cat >"$W/build.json" <<'EOF2'
{"version": "1", "steps": [
  {"type": "command", "key": "build", "eval": {"type": "cmd", "cmd": "make -s -j2 build/hm-lower"}, "builds_in": null},
  {"type": "command", "key": "check", "eval": {"type": "cmd", "cmd": "for f in testdata/lower/harmont/*.json; do build/hm-lower --check $f >/dev/null 2>&1; done; true"}, "builds_in": "build"},
  {"type": "command", "key": "lower", "eval": {"type": "cmd", "cmd": "build/hm-lower testdata/lower/harmont/tc_rust.json >out.json"}, "builds_in": "build"}
]}
EOF2
sed 's/"builds_in": null}/"builds_in": null, "cache": {"policy": "forever", "env_keys": []}}/' \
	"$W/build.json" >"$W/cached.json"

for shape in chain build; do
	ws="$W/empty"
	[ "$shape" = build ] && ws="$W/src"
	: >"$W/$shape.none"; : >"$W/$shape.overlay"; : >"$W/$shape.copy"
	r=0
	while [ $r -le "$BENCH_RUNS" ]; do
		for mode in none overlay copy; do
			t=$(wall "$ws" $mode "$W/$shape.json")
			[ $r -gt 0 ] && echo "$t" >>"$W/$shape.$mode"
		done
		r=$((r + 1))
	done
	n=$(median <"$W/$shape.none")
	o=$(median <"$W/$shape.overlay")
	c=$(median <"$W/$shape.copy")
	if [ "$shape" = chain ]; then
		printf '%-34s none %6s ms  overlay %6s ms  copy %6s ms  overlay/none %s  copy/none %s\n' \
			"200 trivial steps in a chain, -j2" "$(ms "$n")" "$(ms "$o")" \
			"$(ms "$c")" "$(ratio "$o" "$n")" "$(ratio "$c" "$n")"
		printf '%-34s overlay +%s ms  copy +%s ms\n' "per step, over none" \
			"$(ms $(((o - n) / 200)))" "$(ms $(((c - n) / 200)))"
	else
		printf '%-34s none %6s ms  overlay %6s ms  copy %6s ms  overlay/none %s  copy/none %s\n' \
			"real build (hm-lower) + fork of 2" "$(ms "$n")" "$(ms "$o")" \
			"$(ms "$c")" "$(ratio "$o" "$n")" "$(ratio "$c" "$n")"
	fi
done

# the cache: first run (stores) against the second (all cached)
: >"$W/first"; : >"$W/second"
r=0
while [ $r -le "$BENCH_RUNS" ]; do
	rm -rf "$W/store"
	a=$(wall "$W/src" overlay "$W/cached.json")
	b=$(wall "$W/src" overlay "$W/cached.json")
	if [ $r -gt 0 ]; then echo "$a" >>"$W/first"; echo "$b" >>"$W/second"; fi
	r=$((r + 1))
done
f=$(median <"$W/first"); s=$(median <"$W/second")
printf '%-34s first %6s ms  second %6s ms  second/first %s\n' \
	"cache: build cached (overlay)" "$(ms "$f")" "$(ms "$s")" "$(ratio "$s" "$f")"
