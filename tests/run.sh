#!/bin/sh
# hm: run every test: the cmocka unit programs, then every tests/t-*.sh.
# Prints one line per test program and closes with "N passed, N failed"
# (followed by ", N skipped" when tests exited 77: what they need is
# missing, and their last line says what).
: "${O:=build}"
export O
cd "$(dirname "$0")/.." || exit 1
passed=0
failed=0
skipped=0
failed_names=""
skipped_names=""
run() {
	name=$1; shift
	"$@" >"$O/tests/$name.log" 2>&1
	st=$?
	if [ "$st" -eq 0 ]; then
		passed=$((passed + 1))
		echo "ok   $name"
	elif [ "$st" -eq 77 ]; then
		# skipped: what it needs is not there; its last line says why
		skipped=$((skipped + 1))
		skipped_names="$skipped_names $name"
		echo "SKIP $name: $(tail -n 1 "$O/tests/$name.log")"
	else
		failed=$((failed + 1))
		failed_names="$failed_names $name"
		echo "FAIL $name"
		tail -n 30 "$O/tests/$name.log" | sed 's/^/    /'
	fi
}
mkdir -p "$O/tests"
for t in "$O"/tests/test_*; do
	[ -x "$t" ] || continue
	run "$(basename "$t")" "$t"
done
for t in tests/t-*.sh; do
	[ -f "$t" ] || continue
	run "$(basename "$t" .sh)" sh "$t"
done
[ -n "$skipped_names" ] && echo "skipped:$skipped_names"
[ -n "$failed_names" ] && echo "failed:$failed_names"
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
