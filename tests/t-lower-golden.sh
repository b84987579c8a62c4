#!/bin/sh
# hm: golden tests for hm-lower. For each case testdata/lower/NAME.in.json
# (and every harmont v0 document under testdata/lower/harmont/):
#   NAME.args      extra arguments, optional
#   NAME.out.json  expected output (exit 0), or
#   NAME.err       expected exit status on line 1 ("exit N"), then stderr
#   NAME.warn      expected stderr of a successful run (default: empty)
# Every output must lower to itself (idempotence), in pretty and compact
# form. With --regenerate, the expectations are written instead.
. "$(dirname "$0")/lib.sh"
regen=0
[ "${1:-}" = "--regenerate" ] && regen=1
cd "$TOP" || exit 1

run_case() {
	in=$1 base=$2
	args=""
	[ -f "$base.args" ] && args=$(cat "$base.args")
	# shellcheck disable=SC2086
	"$HM_LOWER" $args "$in" >"$TMP/out" 2>"$TMP/err"
	status=$?
	if [ "$regen" = 1 ]; then
		rm -f "$base.out.json" "$base.err" "$base.warn"
		if [ "$status" = 0 ]; then
			cp "$TMP/out" "$base.out.json"
			[ -s "$TMP/err" ] && cp "$TMP/err" "$base.warn"
		else
			{ echo "exit $status"; cat "$TMP/err"; } >"$base.err"
		fi
		return
	fi
	if [ -f "$base.out.json" ]; then
		checks=$((checks + 1))
		[ "$status" = 0 ] || fail "$in: exit status $status, expected 0"
		same "$base.out.json" "$TMP/out" "$in: output differs from $base.out.json"
		if [ -f "$base.warn" ]; then
			same "$base.warn" "$TMP/err" "$in: stderr differs from $base.warn"
		else
			checks=$((checks + 1))
			[ -s "$TMP/err" ] && fail "$in: unexpected stderr: $(head -3 "$TMP/err")"
		fi
		# idempotence, pretty and compact (IR output only)
		case " $args " in *" --check "*|*" --dot "*) return ;; esac
		"$HM_LOWER" "$base.out.json" >"$TMP/again" 2>/dev/null
		same "$base.out.json" "$TMP/again" "$in: lowering the output again changes it"
		"$HM_LOWER" --compact "$base.out.json" | "$HM_LOWER" >"$TMP/again2" 2>/dev/null
		same "$base.out.json" "$TMP/again2" "$in: the compact form does not lower back to the same output"
	elif [ -f "$base.err" ]; then
		checks=$((checks + 1))
		want=$(head -1 "$base.err" | sed 's/^exit //')
		[ "$status" = "$want" ] || fail "$in: exit status $status, expected $want"
		tail -n +2 "$base.err" >"$TMP/want-err"
		same "$TMP/want-err" "$TMP/err" "$in: diagnostics differ from $base.err"
	else
		fail "$in: no $base.out.json or $base.err (run make golden)"
	fi
}

for in in testdata/lower/*.in.json; do
	run_case "$in" "${in%.in.json}"
done
for in in testdata/lower/harmont/*.json; do
	case $in in *.out.json) continue ;; esac
	run_case "$in" "${in%.json}"
done

# The committed harmont documents are exact copies of the corpus.
if [ -d "$SHARED/harmont-v0" ] && [ "$regen" = 0 ]; then
	for f in "$SHARED"/harmont-v0/features/*.json "$SHARED"/harmont-v0/quirks/*.json; do
		same "$f" "testdata/lower/harmont/$(basename "$f")" "harmont corpus copy of $(basename "$f") differs"
	done
fi
finish
