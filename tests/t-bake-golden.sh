#!/bin/sh
# hm: hm-bake golden cases in testdata/bake/. A case NAME is NAME.yml or
# NAME.args (extra arguments; the definition is NAME.yml unless the args
# name one), with NAME.env (VAR=value lines) if the case needs an
# environment. Expected: NAME.json (stdout, exit 0, nothing on stderr) or
# NAME.err (first line "exit: N", then the expected stderr). Every .json
# must pass hm-lower --check and the IR v1 JSON Schema.
# `sh tests/t-bake-golden.sh --regenerate` rewrites the expected files.
. "$(dirname "$0")/lib.sh"
regen=0
[ "${1:-}" = "--regenerate" ] && regen=1
DATA="$TOP/testdata/bake"
STUBS="$DATA/stub"
AJV="$TOP/.deps/node_modules/.bin/ajv"
SCHEMA="$TOP/ir-spec/hm-ir-v1.schema.json"

[ -x "$HM_BAKE" ] || { echo "no $HM_BAKE: build it first" >&2; exit 1; }
[ -x "$HM_LOWER" ] || { echo "no $HM_LOWER: build it first" >&2; exit 1; }

# bake NAME ARGS...: run hm-bake with the stubs first in PATH and
# NAME.env's variables (one VAR=value a line, spaces allowed).
bake() {
	(
		if [ -f "$1.env" ]; then
			while IFS= read -r line; do
				export "${line?}"
			done <"$1.env"
		fi
		shift
		PATH="$STUBS:$PATH" exec "$HM_BAKE" "$@"
	)
}

# fragment_of ARGS...: "PREFIX DEFINITION" if ARGS bake a --target.
fragment_of() {
	t="" k="" d=""
	while [ $# -gt 0 ]; do
		case $1 in
		--target) t=$2; shift ;;
		--key-prefix) k=$2; shift ;;
		--with-deps) return 1 ;;
		*.yml) d=$1 ;;
		esac
		shift
	done
	[ -n "$t" ] || return 1
	echo "${k:-$t} $d"
}

# splice KEY FRAGMENT STATIC: STATIC with the placeholder KEY replaced by
# the group hm-exec makes of it (ir-spec/dynamic.md).
splice() {
	jq --slurpfile f "$2" --arg k "$1" '
	    def cont(p): if ($f[0] | has("continue")) then
	            {continue: $f[0].continue}
	        elif ($f[0] | has("continue_in")) then
	            {continue_in: $f[0].continue_in}
	        elif (p.eval | has("continue")) then {continue: p.eval.continue}
	        elif (p.eval | has("continue_in")) then
	            {continue_in: p.eval.continue_in}
	        else {} end;
	    walk(if type == "object" and .key == $k and
	        (.eval.type? // "") == "dynamic" then
	        . as $p | {type: "group", key: .key}
	        + (if has("label") then {label: .label} else {} end)
	        + {target_name: .eval.target_name, builds_in: .builds_in}
	        + (if has("depends_on") then {depends_on: .depends_on}
	           else {} end)
	        + cont($p) + {steps: $f[0].steps}
	    else . end)' "$3"
}

cases=$(cd "$DATA" && ls *.yml *.args 2>/dev/null | sed 's/\.[a-z]*$//' | sort -u)
cd "$DATA" || exit 1
for name in $cases; do
	args=""
	[ -f "$name.args" ] && args=$(cat "$name.args")
	case " $args " in
	*.yml\ *) ;;
	*) args="$args $name.yml" ;;
	esac
	bake "$name" $args >"$TMP/out" 2>"$TMP/err"
	status=$?
	if [ "$regen" = 1 ]; then
		if [ "$status" = 0 ] && [ ! -s "$TMP/err" ]; then
			cp "$TMP/out" "$name.json"
			rm -f "$name.err"
		else
			{ echo "exit: $status"; cat "$TMP/err"; } >"$name.err"
			rm -f "$name.json"
		fi
		continue
	fi
	if [ -f "$name.json" ]; then
		checks=$((checks + 1))
		if [ "$status" != 0 ]; then
			fail "$name: exit status $status, expected 0"
			sed 's/^/    /' "$TMP/err" >&2
			continue
		fi
		same "$name.json" "$TMP/out" "$name: output differs from $name.json"
		same /dev/null "$TMP/err" "$name: unexpected stderr"
		if frag=$(fragment_of $args); then
			# a fragment is checked as hm-exec uses it: spliced into
			# the static bake in place of its placeholder
			set -- $frag
			bake "$name" "$2" >"$TMP/static.json" 2>/dev/null
			if jq -e --arg k "$1" '[.. | objects | select(.key == $k and
			    .eval.type == "dynamic")] | length == 1' \
			    "$TMP/static.json" >/dev/null 2>&1; then
				splice "$1" "$name.json" "$TMP/static.json" \
				    >"$TMP/spliced.json"
				check "$name: spliced, hm-lower --check" \
				    "$HM_LOWER" --check "$TMP/spliced.json"
			else
				check "$name: hm-lower --check" "$HM_LOWER" \
				    --check "$name.json"
			fi
		else
			check "$name: hm-lower --check" "$HM_LOWER" --check \
			    "$name.json"
		fi
		if [ -x "$AJV" ] && [ -f "$SCHEMA" ]; then
			check "$name: IR v1 JSON Schema" sh -c "'$AJV' validate \
			    --spec=draft2020 -c ajv-formats -s '$SCHEMA' \
			    -d '$DATA/$name.json' >/dev/null 2>&1"
		fi
		# determinism: a second run gives the same bytes
		bake "$name" $args >"$TMP/out2" 2>/dev/null
		same "$TMP/out" "$TMP/out2" "$name: output not deterministic"
	elif [ -f "$name.err" ]; then
		want=$(sed -n '1s/^exit: //p' "$name.err")
		checks=$((checks + 1))
		[ "$status" = "$want" ] || fail "$name: exit status $status, expected $want"
		sed 1d "$name.err" >"$TMP/want"
		same "$TMP/want" "$TMP/err" "$name: stderr differs from $name.err"
	else
		fail "$name: no $name.json or $name.err (run with --regenerate)"
	fi
done
finish
