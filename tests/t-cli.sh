#!/bin/sh
# hm: the command line every tool shares: --version (one version, from
# VERSION), --help describing every option, unknown options named, a close
# match suggested, values required or refused, options after operands.
. "$(dirname "$0")/lib.sh"
cd "$TOP" || exit 1
version=$(cat VERSION)

for tool in hm-lower hm-bake hm-exec; do
	bin="$TOP/$O/$tool"
	must_fail 0 "$tool --version" "$bin" --version >"$TMP/out" 2>"$TMP/err"
	check "$tool --version prints '$tool $version'" \
		test "$(cat "$TMP/out")" = "$tool $version"
	check "$tool --version is quiet on stderr" test ! -s "$TMP/err"

	must_fail 0 "$tool --help" "$bin" --help >"$TMP/help" 2>"$TMP/err"
	must_fail 0 "$tool -h" "$bin" -h >"$TMP/h" 2>/dev/null
	same "$TMP/help" "$TMP/h" "$tool: -h and --help differ"
	check "$tool --help starts with the usage" \
		grep -q "^usage: $tool " "$TMP/help"
	check "$tool --help lists --version" grep -q -- '--version  ' "$TMP/help"
	# every option the man page lists is described in --help, with text
	for opt in $(sed -n 's/^\.It Fl \(-[a-z-]*\).*/-\1/p' man/$tool.1); do
		check "$tool --help describes $opt" \
			grep -q -- "$opt[ ,=A-Z]*  *[a-z]" "$TMP/help"
	done
	check "$tool --help fits 80 columns" \
		test "$(awk 'length > 79' "$TMP/help" | wc -l)" -eq 0

	must_fail 64 "$tool --frobnicate" "$bin" --frobnicate 2>"$TMP/err"
	check "$tool: unknown option named" \
		grep -qx "$tool: unknown option '--frobnicate'" "$TMP/err"
	check "$tool: usage after an unknown option" \
		grep -q "^usage: $tool" "$TMP/err"
	must_fail 64 "$tool --frobnicate=1" "$bin" --frobnicate=1 2>"$TMP/err"
	check "$tool: unknown option named without its value" \
		grep -qx "$tool: unknown option '--frobnicate'" "$TMP/err"
	must_fail 64 "$tool -Q" "$bin" -Q 2>"$TMP/err"
	check "$tool: unknown short option named" \
		grep -qx "$tool: unknown option '-Q'" "$TMP/err"
	must_fail 64 "$tool --verison" "$bin" --verison 2>"$TMP/err"
	check "$tool: a close match is suggested" \
		grep -qx "$tool: unknown option '--verison' (did you mean '--version'?)" "$TMP/err"
	must_fail 64 "$tool --pipline" "$bin" --pipline x 2>"$TMP/err"
	check "$tool: --pipline suggests --pipeline" \
		grep -qx "$tool: unknown option '--pipline' (did you mean '--pipeline'?)" "$TMP/err"
	must_fail 64 "$tool --pipeline without value" "$bin" --pipeline 2>"$TMP/err"
	check "$tool: a missing value is named" \
		grep -qx "$tool: option '--pipeline' needs a value" "$TMP/err"
	must_fail 64 "$tool --help=x" "$bin" --help=x 2>"$TMP/err"
	check "$tool: a flag refuses a value" \
		grep -qx "$tool: option '--help' takes no value" "$TMP/err"
done

# hm-sandbox: the same parser; options end at the command
S="$TOP/$O/hm-sandbox"
must_fail 0 "hm-sandbox --version" "$S" --version >"$TMP/out" 2>/dev/null
check "hm-sandbox --version" test "$(cat "$TMP/out")" = "hm-sandbox $version"
must_fail 0 "hm-sandbox --help" "$S" --help >"$TMP/help" 2>/dev/null
check "hm-sandbox --help describes --probe" grep -q -- '--probe SCRATCH  *[a-z]' "$TMP/help"
must_fail 64 "hm-sandbox --volatil" "$S" -C /tmp --volatil -- true 2>"$TMP/err"
check "--volatil suggests --volatile" \
	grep -qx "hm-sandbox: unknown option '--volatil' (did you mean '--volatile'?)" "$TMP/err"
must_fail 64 "hm-sandbox without a command" "$S" -C /tmp 2>"$TMP/err"
check "no command named" grep -qx "hm-sandbox: no command given" "$TMP/err"

# the tools' own close matches
must_fail 64 "hm-lower --chek" "$HM_LOWER" --chek 2>"$TMP/err"
check "--chek suggests --check" \
	grep -qx "hm-lower: unknown option '--chek' (did you mean '--check'?)" "$TMP/err"
must_fail 64 "hm-bake --taget" "$HM_BAKE" --taget a x.yml 2>"$TMP/err"
check "--taget suggests --target" \
	grep -qx "hm-bake: unknown option '--taget' (did you mean '--target'?)" "$TMP/err"

must_fail 64 "hm-exec --jbos" "$HM_EXEC" --jbos 4 2>"$TMP/err"
check "--jbos suggests --jobs" \
	grep -qx "hm-exec: unknown option '--jbos' (did you mean '--jobs'?)" "$TMP/err"

# values: glued, after '=', or the next argument; clusters of flags
L=testdata/lower/groups-continuation.in.json
"$HM_LOWER" --check "$L" >/dev/null 2>&1
check "hm-lower --check FILE" test $? -eq 0
"$HM_LOWER" "$L" --compact >"$TMP/a" 2>/dev/null
"$HM_LOWER" --compact -- "$L" >"$TMP/b" 2>/dev/null
same "$TMP/a" "$TMP/b" "hm-lower: an option after the file"
"$HM_LOWER" -o"$TMP/c" "$L" 2>/dev/null
"$HM_LOWER" -o "$TMP/d" "$L" 2>/dev/null
same "$TMP/c" "$TMP/d" "hm-lower: -oFILE and -o FILE differ"
"$HM_EXEC" -kn -j2 "$L" >"$TMP/e" 2>/dev/null
"$HM_EXEC" -k -n --jobs=2 "$L" >"$TMP/f" 2>/dev/null
same "$TMP/e" "$TMP/f" "hm-exec: -kn -j2 and -k -n --jobs=2 differ"
must_fail 64 "hm-exec -j x" "$HM_EXEC" -j x "$L" 2>"$TMP/err"
check "-j x names the option and the range" \
	grep -qx "hm-exec: option '-j' needs a number from 1 to 4096, found 'x'" "$TMP/err"
must_fail 64 "hm-exec two files" "$HM_EXEC" -n "$L" "$L" 2>"$TMP/err"
check "hm-exec: two files" grep -q "^hm-exec: too many arguments" "$TMP/err"
finish
