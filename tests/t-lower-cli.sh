#!/bin/sh
# hm: hm-lower's command line: options, exit statuses, I/O errors, limits.
. "$(dirname "$0")/lib.sh"
cd "$TOP" || exit 1
L=testdata/lower
ok_in=$L/groups-continuation.in.json

# usage errors are 64, with a usage line
must_fail 64 "unknown option" "$HM_LOWER" --frobnicate $ok_in 2>"$TMP/err"
check "usage line printed" grep -q '^usage: hm-lower' "$TMP/err"
must_fail 64 "two inputs" "$HM_LOWER" $ok_in $ok_in 2>/dev/null
must_fail 64 "--check with --dot" "$HM_LOWER" --check --dot $ok_in 2>/dev/null
must_fail 64 "-o without argument" "$HM_LOWER" $ok_in -o 2>/dev/null
must_fail 0 "--help" "$HM_LOWER" --help >/dev/null

# cannot open: 66, naming the file
must_fail 66 "missing file" "$HM_LOWER" "$TMP/nope.json" 2>"$TMP/err"
check "missing file named" grep -q "hm-lower: cannot open $TMP/nope.json: No such file or directory" "$TMP/err"

# stdin, '-' and a file give the same output
"$HM_LOWER" $ok_in >"$TMP/a"
"$HM_LOWER" <$ok_in >"$TMP/b"
"$HM_LOWER" - <$ok_in >"$TMP/c"
same "$TMP/a" "$TMP/b" "stdin and file differ"
same "$TMP/a" "$TMP/c" "'-' and file differ"
# stdin is named <stdin> in diagnostics
"$HM_LOWER" <$L/bad-cycle.in.json 2>"$TMP/err" >/dev/null
check "stdin named in diagnostics" grep -q '^hm-lower: <stdin>:3:30: error: dependency cycle' "$TMP/err"

# --check prints nothing for a valid document, and exits 0
"$HM_LOWER" --check $ok_in >"$TMP/out" 2>"$TMP/err"
check "--check exit 0" test $? -eq 0
check "--check silent" test ! -s "$TMP/out" -a ! -s "$TMP/err"
must_fail 65 "--check on invalid input" "$HM_LOWER" --check $L/bad-refs.in.json 2>/dev/null
# --check takes any number of files (a pre-commit hook passes several),
# names each in its messages and exits with the worst status
"$HM_LOWER" --check $ok_in $L/harmont/single_step.json >"$TMP/out" 2>"$TMP/err"
check "--check, two valid files: exit 0" test $? -eq 0
check "--check, two valid files: silent" test ! -s "$TMP/out" -a ! -s "$TMP/err"
must_fail 65 "--check, a valid and an invalid file" \
	"$HM_LOWER" --check $ok_in $L/bad-refs.in.json $ok_in 2>"$TMP/err"
check "--check names the invalid file" grep -q "^hm-lower: $L/bad-refs.in.json:" "$TMP/err"
check "--check reports nothing on the valid ones" \
	test "$(grep -c "$ok_in" "$TMP/err")" -eq 0
must_fail 66 "--check, invalid and missing: the worst status" \
	"$HM_LOWER" --check $L/bad-refs.in.json "$TMP/nope.json" $L/bad-cycle.in.json 2>"$TMP/err"
check "--check goes on after a missing file" grep -q "^hm-lower: $L/bad-cycle.in.json:" "$TMP/err"
check "--check names the missing file" grep -q "cannot open $TMP/nope.json" "$TMP/err"

# --compact is one line and lowers back to the same document
"$HM_LOWER" --compact $ok_in >"$TMP/compact"
check "compact is one line" test "$(wc -l <"$TMP/compact")" -eq 1
"$HM_LOWER" "$TMP/compact" >"$TMP/d"
same "$TMP/a" "$TMP/d" "compact does not round-trip"

# -o writes the file; on invalid input it leaves an existing file alone
"$HM_LOWER" -o "$TMP/o.json" $ok_in
same "$TMP/a" "$TMP/o.json" "-o output differs"
echo keep >"$TMP/keep.json"
must_fail 65 "-o with invalid input" "$HM_LOWER" -o "$TMP/keep.json" $L/bad-cycle.in.json 2>/dev/null
check "-o target untouched" grep -qx keep "$TMP/keep.json"
check "no temporary files left" test "$(ls "$TMP" | grep -c tmp)" -eq 0
# -o onto the input file itself: read fully first, then replaced whole
cp $L/harmont/single_step.json "$TMP/self.json"
"$HM_LOWER" -o "$TMP/self.json" "$TMP/self.json"
"$HM_LOWER" $L/harmont/single_step.json >"$TMP/self-want"
same "$TMP/self-want" "$TMP/self.json" "-o onto the input"

# write errors are 74 and reported: ENOSPC and EPIPE
if [ -w /dev/full ]; then
	must_fail 74 "ENOSPC on stdout" "$HM_LOWER" $ok_in >/dev/full 2>"$TMP/err"
	check "ENOSPC reported" grep -q 'hm-lower: write error: No space left on device' "$TMP/err"
	must_fail 74 "ENOSPC with --dot" "$HM_LOWER" --dot $ok_in >/dev/full 2>/dev/null
fi
# a reader that goes away: big enough output to overflow the pipe buffer
awk 'BEGIN { printf "{\"version\":\"1\",\"steps\":["; for (i = 0; i < 3000; i++) printf "%s{\"type\":\"command\",\"key\":\"k%d\",\"eval\":{\"type\":\"cmd\",\"cmd\":\"true\"},\"builds_in\":null}", (i ? "," : ""), i; print "]}" }' >"$TMP/many.json"
status=$( { "$HM_LOWER" "$TMP/many.json" 2>"$TMP/err"; echo $? >"$TMP/status"; } | head -c 10 >/dev/null; cat "$TMP/status")
checks=$((checks + 1))
[ "$status" = 74 ] || fail "EPIPE: exit status $status, expected 74"
check "EPIPE reported" grep -q 'hm-lower: write error: Broken pipe' "$TMP/err"

# 100,000-deep nesting: a positioned error, no crash
awk 'BEGIN { for (i = 0; i < 100000; i++) printf "["; for (i = 0; i < 100000; i++) printf "]"; print "" }' >"$TMP/deep.json"
must_fail 65 "deep nesting" "$HM_LOWER" "$TMP/deep.json" 2>"$TMP/err"
check "deep nesting positioned" grep -q "^hm-lower: $TMP/deep.json:1:1001: error: nesting deeper than 1000 levels" "$TMP/err"
awk 'BEGIN { printf "{\"version\":\"1\",\"steps\":[],\"x\":"; for (i = 0; i < 100000; i++) printf "{\"a\":"; print "1" }' >"$TMP/deep2.json"
must_fail 65 "deep truncated objects" "$HM_LOWER" "$TMP/deep2.json" 2>/dev/null

# groups nested beyond the limit
awk 'BEGIN { printf "{\"version\":\"1\",\"steps\":["; k = "g"; for (i = 0; i < 70; i++) { printf "{\"type\":\"group\",\"key\":\"%s\",\"steps\":[", k; k = k "/g" } printf "{\"type\":\"command\",\"key\":\"%s\",\"eval\":{\"type\":\"cmd\",\"cmd\":\"true\"},\"builds_in\":null}", k; for (i = 0; i < 70; i++) printf "]}"; print "]}" }' >"$TMP/groups.json"
must_fail 65 "groups nested too deep" "$HM_LOWER" "$TMP/groups.json" 2>"$TMP/err"
check "group nesting message" grep -q 'error: groups nested deeper than 64 levels' "$TMP/err"

# every error is reported, capped at 100 with a note
awk 'BEGIN { printf "{\"version\":\"1\",\"steps\":["; for (i = 0; i < 150; i++) printf "%s{\"type\":\"command\",\"key\":\"k%d\",\"eval\":{\"type\":\"cmd\",\"cmd\":\"true\"},\"builds_in\":\"missing%d\"}", (i ? "," : ""), i, i; print "]}" }' >"$TMP/errs.json"
must_fail 65 "many errors" "$HM_LOWER" "$TMP/errs.json" 2>"$TMP/err"
check "100 errors shown" test "$(grep -c ': error: ' "$TMP/err")" -eq 100
check "the rest counted" grep -q '^hm-lower: note: 50 more diagnostics not shown$' "$TMP/err"
# Regression: a pretty-printed document of many groups once sent the
# line:column cursor back to the start of the file for every group
# (quadratic: 44 s for 10,000 groups). Not a timing test: the timeout only
# guards against that hang coming back.
awk 'BEGIN { print "{\"version\": \"1\", \"steps\": ["; for (i = 0; i < 10000; i++) { printf "%s{\"type\": \"group\", \"key\": \"g%d\", \"continue\": \"join\", \"steps\": [\n", (i ? ",\n" : ""), i; printf "  {\"type\": \"command\", \"key\": \"g%d/a\",\n   \"eval\": {\"type\": \"cmd\", \"cmd\": \"true\"}, \"builds_in\": null},\n", i; printf "  {\"type\": \"command\", \"key\": \"g%d/b\",\n   \"eval\": {\"type\": \"cmd\", \"cmd\": \"true\"}, \"builds_in\": null}\n]}", i } print "]}" }' >"$TMP/groups-pretty.json"
timeout 60 "$HM_LOWER" --check "$TMP/groups-pretty.json"
check "10,000 pretty-printed groups lower without a hang" test $? -eq 0
# ...and a position after all of them is still right
sed '$d' "$TMP/groups-pretty.json" >"$TMP/late.json"
printf '\n]},\n  {"type": "command", "key": "z", "eval": {"type": "cmd", "cmd": "x"}, "builds_in": "nope"}\n]}\n' >>"$TMP/late.json"
line=$(grep -n '"key": "z"' "$TMP/late.json" | cut -d: -f1)
"$HM_LOWER" --check "$TMP/late.json" 2>"$TMP/err"
check "late position" grep -q "late.json:$line:85: error: 'builds_in' of step 'z' names unknown step 'nope'" "$TMP/err"
# --status colours --dot from a run's events, and only --dot
must_fail 64 "--status without --dot" "$HM_LOWER" --status testdata/lower/dot-status.events.jsonl testdata/lower/dot-status.in.json 2>/dev/null
must_fail 66 "--status of a missing file" "$HM_LOWER" --dot --status "$TMP/none.jsonl" testdata/lower/dot-status.in.json 2>/dev/null
"$HM_LOWER" --dot --status testdata/lower/dot-status.events.jsonl testdata/lower/dot-status.in.json >"$TMP/st.dot"
check "the coloured graph renders" dot -Tsvg -o "$TMP/st.svg" "$TMP/st.dot"
check "a failed step is red" grep -q '"notify" \[style="dashed,filled", fillcolor="#f4a8a0"' "$TMP/st.dot"
finish
