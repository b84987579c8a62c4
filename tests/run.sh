#!/bin/sh
# hm: run every test: the cmocka unit programs, then every tests/t-*.sh.
# Prints one line per test program and closes with "N passed, N failed".
: "${O:=build}"
export O
cd "$(dirname "$0")/.." || exit 1
passed=0
failed=0
failed_names=""
run() {
	name=$1; shift
	if "$@" >"$O/tests/$name.log" 2>&1; then
		passed=$((passed + 1))
		echo "ok   $name"
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
[ -n "$failed_names" ] && echo "failed:$failed_names"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
