#!/bin/sh
# hm: the fuzz harnesses' properties (fuzz/fuzz_*.c), checked without
# libFuzzer over their seeds and over every input a fuzzer ever found
# (testdata/fuzz/NAME/): no crash, and under SANITIZE=1 no leak or UB.
. "$(dirname "$0")/lib.sh"
cd "$TOP" || exit 1
replay() {
	name=$1; shift
	bin=$O/fuzz/replay_$name
	if [ ! -x "$bin" ]; then
		fail "no $bin (make build)"
		return
	fi
	# shellcheck disable=SC2046
	set -- $(find "$@" -type f 2>/dev/null | sort)
	"$bin" "$@" >"$TMP/$name.out" 2>&1
	st=$?
	checks=$((checks + 1))
	if [ "$st" -ne 0 ]; then
		fail "replay_$name: status $st on $# inputs"
		tail -20 "$TMP/$name.out" >&2
	fi
}
replay ir testdata/lower testdata/exec testdata/json-bad testdata/fuzz/ir
replay bake testdata/bake examples testdata/fuzz/bake
replay splice testdata/exec testdata/fuzz/splice
finish
