#!/bin/sh
# hm: run each libFuzzer harness named for $FUZZ_SECONDS seconds (nothing
# if unset): from its seeds in testdata/ and its findings in
# testdata/fuzz/NAME/, growing $O/corpus/NAME/. Prints libFuzzer's final
# line (executions, coverage) per harness; exits non-zero on a finding.
set -eu
cd "$(dirname "$0")/.."
: "${O:=build-fuzz}"
[ -n "${FUZZ_SECONDS:-}" ] || exit 0
status=0
for name in "$@"; do
	case $name in
	ir) seeds="testdata/lower testdata/exec testdata/json-bad" dict=fuzz/json.dict ;;
	bake) seeds="testdata/bake examples" dict=fuzz/yaml.dict ;;
	splice) seeds="testdata/exec" dict=fuzz/json.dict ;;
	*) echo "fuzz: no harness '$name'" >&2; exit 2 ;;
	esac
	mkdir -p "$O/corpus/$name" "testdata/fuzz/$name"
	log=$O/fuzz_$name.log
	# shellcheck disable=SC2086
	if "$O/fuzz_$name" -max_total_time="$FUZZ_SECONDS" -timeout=10 \
	    -rss_limit_mb=2048 -max_len=65536 -dict="$dict" \
	    -artifact_prefix="$O/$name-" -print_final_stats=1 \
	    "$O/corpus/$name" "testdata/fuzz/$name" $seeds >"$log" 2>&1; then
		echo "fuzz_$name: $(grep -E '^#[0-9]+.*(DONE|pulse|NEW|REDUCE)' "$log" | tail -n 1)"
		grep -E '^stat::(number_of_executed_units|peak_rss_mb)' "$log" |
			sed "s/^/fuzz_$name: /"
	else
		status=1
		echo "fuzz_$name: FAILED (log $log); the input is $O/$name-*" >&2
		grep -E -A30 '^==[0-9]+==ERROR|runtime error|deadly signal|^(.*)fuzz_fail|SUMMARY' "$log" | head -60 >&2
	fi
done
exit $status
