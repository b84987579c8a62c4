# hm: helpers for the benchmark sections (sourced by bench/NAME.sh and
# tests/t-bench-gen.sh; not a section itself).
#
# Settings (environment): O (build dir, default build), BENCH_RUNS (timed
# runs per case, default 5, after one warm-up round), CC (compiler for
# the bench helpers, default cc).
#
# A section times its cases interleaved, round by round, so that a busy
# neighbour on a shared machine hits every case alike:
#	bench_init
#	r=0
#	while [ "$r" -le "$BENCH_RUNS" ]; do
#		bench_run "$r" NAME COMMAND [ARG...]	# stdout to /dev/null
#		...
#		r=$((r + 1))
#	done
#	bench_stat NAME wall median	# -> nanoseconds
# Round 0 is the warm-up and is not recorded.
: "${O:=build}"
: "${BENCH_RUNS:=5}"
BENCH_TOP=$(cd "$(dirname "$0")/.." && pwd)
BENCH_BIN="$BENCH_TOP/$O/bench"
BENCH_CFLAGS="-std=c11 -O2 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Wshadow
-Wmissing-prototypes -Wpedantic -Werror"

# bench_cc NAME [DIR]: build bench/NAME.c into DIR/NAME (default
# $BENCH_BIN) unless it is up to date; with the project's warnings.
bench_cc() {
	_dir=${2:-$BENCH_BIN}
	_src="$BENCH_TOP/bench/$1.c"
	if [ ! -f "$_src" ]; then
		echo "bench: $_src: not found" >&2
		return 1
	fi
	mkdir -p "$_dir" || return 1
	if [ -x "$_dir/$1" ] &&
	   [ -z "$(find "$_src" -newer "$_dir/$1" 2>/dev/null)" ]; then
		return 0
	fi
	# shellcheck disable=SC2086 # the flags are words
	${CC:-cc} $BENCH_CFLAGS -o "$_dir/$1.tmp" "$_src" &&
		mv "$_dir/$1.tmp" "$_dir/$1"
}

# bench_init: build the helpers, make BENCH_TMP (removed on exit) and an
# empty data file.
bench_init() {
	bench_cc maxrss || return 1
	BENCH_TMP=$(mktemp -d "${TMPDIR:-/tmp}/hm-bench.XXXXXX") || return 1
	trap 'rm -rf "$BENCH_TMP"' EXIT
	trap 'rm -rf "$BENCH_TMP"; exit 130' INT
	trap 'rm -rf "$BENCH_TMP"; exit 143' TERM
	BENCH_DATA="$BENCH_TMP/data"
	: >"$BENCH_DATA"
}

# bench_run ROUND NAME COMMAND [ARG...]: run COMMAND once under maxrss
# (stdout to /dev/null) and, unless ROUND is 0, record
#	NAME WALL_NS CPU_NS MAXRSS_KB STATUS
# A failing run is recorded too; its stderr is shown once per NAME.
bench_run() {
	_round=$1 _name=$2
	shift 2
	rm -f "$BENCH_TMP/one"
	"$BENCH_BIN/maxrss" -o "$BENCH_TMP/one" "$@" >/dev/null \
		2>"$BENCH_TMP/err"
	_st=$?
	if [ "$_st" -ne 0 ] && [ ! -f "$BENCH_TMP/shown.$_name" ]; then
		: >"$BENCH_TMP/shown.$_name"
		echo "bench: $_name: exit status $_st: $*" >&2
		head -n 5 "$BENCH_TMP/err" >&2
	fi
	if [ "$_round" -gt 0 ] && [ -s "$BENCH_TMP/one" ]; then
		printf '%s %s\n' "$_name" "$(cat "$BENCH_TMP/one")" \
			>>"$BENCH_DATA"
	fi
}

# bench_stat NAME FIELD FN: FIELD wall|cpu|rss|status, FN
# median|min|max over NAME's recorded runs; "-" if there are none.
bench_stat() {
	case $2 in
	wall) _f=2 ;;
	cpu) _f=3 ;;
	rss) _f=4 ;;
	status) _f=5 ;;
	*) return 1 ;;
	esac
	awk -v n="$1" -v f="$_f" '$1 == n { print $f }' "$BENCH_DATA" |
		sort -n | awk -v fn="$3" '
		{ a[NR] = $1 }
		END {
			if (NR == 0) { print "-"; exit }
			if (fn == "min") print a[1]
			else if (fn == "max") print a[NR]
			else if (NR % 2) print a[(NR + 1) / 2]
			else printf "%.0f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2
		}'
}

# bench_failed NAME: true if some recorded run of NAME did not exit 0.
bench_failed() {
	[ "$(bench_stat "$1" status max)" != 0 ]
}

# bench_env: one line saying where and when this ran.
bench_env() {
	_cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo \
		2>/dev/null)
	_rev=$(cd "$BENCH_TOP" && git rev-parse --short HEAD 2>/dev/null)
	_dirty=$(cd "$BENCH_TOP" && git status --porcelain --untracked-files=no \
		2>/dev/null | head -n 1)
	[ -n "$_dirty" ] && _rev="$_rev+dirty"
	echo "host: $(uname -sm), $(nproc 2>/dev/null || echo '?') cpus," \
		"${_cpu:-unknown cpu}; load $(cut -d' ' -f1-3 /proc/loadavg \
		2>/dev/null); hm ${_rev:-unknown}; $(date -u '+%Y-%m-%d %H:%M UTC')"
}
