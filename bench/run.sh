#!/bin/sh
# hm: `make bench`: run the benchmark sections. A section is a script
# bench/NAME.sh (helpers in bench/lib.sh). By default: lower first, then
# every other bench/NAME.sh in name order (not run.sh or lib.sh); the
# arguments, or BENCH_SECTIONS, name the sections to run instead.
# Targets are reported, never enforced: the exit status is 1 only if a
# section failed (a tool failed or rejected its input).
: "${O:=build}"
export O
cd "$(dirname "$0")/.." || exit 1

if [ $# -gt 0 ]; then
	sections=$*
elif [ -n "${BENCH_SECTIONS:-}" ]; then
	sections=$BENCH_SECTIONS
else
	sections=lower
	for f in bench/*.sh; do
		n=$(basename "$f" .sh)
		case $n in
		run | lib | lower) ;;
		*) sections="$sections $n" ;;
		esac
	done
fi

failed=""
for n in $sections; do
	echo "== bench: $n =="
	if [ ! -f "bench/$n.sh" ]; then
		echo "bench: no section bench/$n.sh" >&2
		failed="$failed $n"
	elif ! sh "bench/$n.sh"; then
		failed="$failed $n"
	fi
	echo
done
if [ -n "$failed" ]; then
	echo "bench: failed:$failed" >&2
	exit 1
fi
echo "bench: all sections ran"
