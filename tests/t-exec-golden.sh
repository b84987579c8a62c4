#!/bin/sh
# hm: golden tests for what a run shows by default, on a real-looking
# pipeline (testdata/exec/display): configure prints 200 lines, build runs
# GNU make and the C compiler, tests is a group (Python's unittest, a
# lint) whose report step runs once per test ('each', shown as
# "report (unit)"). The passing run must be one line per step; the
# failing ones the explaining lines under the failed step's header: the
# compiler's error and make's verdict (broken.c added), the test runner's
# traceback and verdict (test_median.py added, with -k). Times, run ids
# and the temporary directory are masked, the "slowest" line (ordered by
# time) left out. With --regenerate the expectations are written instead.
. "$(dirname "$0")/lib.sh"
regen=0
[ "${1:-}" = "--regenerate" ] && regen=1
D="$TOP/testdata/exec/display"
cd "$TMP" || exit 1
unset CI NO_COLOR
# nor make's: under make, make prints "make[1]:" and hm-exec would use its
# jobserver
unset MAKEFLAGS MFLAGS MAKELEVEL
# the compiler's quotes are ASCII in the C locale, whatever the machine's
LC_ALL=C
export LC_ALL

norm() {
	sed -E "s|$TMP|TMP|g" |
		sed -E 's/[0-9]+\.[0-9]+s/N.Ns/g; s/[0-9]+m[0-9]{2}s/N.Ns/g; s/[0-9]{8}T[0-9]{6}Z-[0-9]+/RUN/g' |
		grep -v '^slowest:'
}

# golden NAME: compare NAME.out with $D/NAME.out (or write it)
golden() {
	norm <"$1.raw" >"$1.out"
	if [ "$regen" = 1 ]; then
		cp "$1.out" "$D/$1.out"
	else
		same "$D/$1.out" "$1.out" "default output of the $1 run differs from $D/$1.out"
	fi
}

cp "$D/run.json" "$D/build.mk" "$D/ok.c" "$D/test_mean.py" .
export PYTHONDONTWRITEBYTECODE=1
"$HM_EXEC" -j1 run.json >pass.raw 2>&1
check "the passing run passes" test $? -eq 0
golden pass
cp "$D/test_median.py" .
"$HM_EXEC" -j1 -k run.json >fail-test.raw 2>&1
check "the failing test run fails" test $? -eq 1
golden fail-test
rm test_median.py
cp "$D/broken.c" .
"$HM_EXEC" -j1 run.json >fail.raw 2>&1
check "the failing run fails" test $? -eq 1
golden fail
[ "$regen" = 1 ] && exit 0

check "a passing run is one line a step" test "$(grep -c -- '^--- ' pass.out)" -eq "$(grep -vc '^hm-exec:' pass.out)"
check "the compiler's error is shown" grep -q "broken.c:[0-9]*:[0-9]*: error:" fail.out
check "so is the line it quotes" grep -q 'return x;' fail.out
check "make's verdict is shown" grep -q 'Error 1' fail.out
check "configure's 200 lines are not" sh -c "! grep -q 'checking for feature' fail.out"
check "the test runner's failed test is shown" grep -q '^FAIL: test_even' fail-test.out
check "so is its assertion" grep -q '^AssertionError: 3 != 2.5' fail-test.out
check "and its verdict" grep -q '^FAILED (failures=1)' fail-test.out
check "not the tests that passed" sh -c "! grep -q 'test_many' fail-test.out"
# --tail sets the tail; the error lines come anyway
"$HM_EXEC" -j1 --tail 1 run.json >tail1.raw 2>&1
check "--tail 1: the last line" grep -q "not remade because of errors" tail1.raw
check "--tail 1: the error" grep -q "broken.c:[0-9]*:[0-9]*: error:" tail1.raw
check "--tail 1: not the lines before the last" sh -c "! grep -q 'generating docs/page23.html' tail1.raw"
"$HM_EXEC" -j1 --output=none run.json >none.raw 2>&1
check "--output=none: headers, then the excerpt in the summary" sh -c "grep -A3 '^failed: build' none.raw | grep -q '    .*error:'"
must_fail 64 "--output=bad" "$HM_EXEC" --output=bad run.json 2>/dev/null
finish
