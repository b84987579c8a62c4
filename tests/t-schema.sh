#!/bin/sh
# hm: the JSON Schemas in ir-spec/ against real documents, with a real
# validator (ajv, installed into .deps/ by scripts/setup.sh):
#  - every harmont v0 document (testdata/lower/harmont/) passes the v0 schema;
#  - testdata/schema/valid-*.json pass and invalid-*.json fail the v1 schema;
#  - every golden output testdata/lower/*.out.json and every baked
#    testdata/bake/*.json passes the v1 schema;
#  - every ```json block in ir-spec/*.md is JSON, and the whole documents
#    among them pass their version's schema.
# ajv starts slowly, so each set is one ajv run over many files.
. "$(dirname "$0")/lib.sh"

AJV="$TOP/.deps/node_modules/.bin/ajv"
V1="$TOP/ir-spec/hm-ir-v1.schema.json"
V0="$TOP/ir-spec/hm-ir-v0.schema.json"
cd "$TOP" || exit 1

if [ ! -x "$AJV" ]; then
	fail "no validator at $AJV (run scripts/setup.sh)"
	finish
fi

# validate SCHEMA WANT FILE...: one ajv run; every FILE must come out
# WANT ("valid" or "invalid"), judged from ajv's per-file verdict lines.
validate() {
	schema=$1 want=$2; shift 2
	[ "$#" -gt 0 ] || return 0
	set -- "$@"
	args=""
	for f in "$@"; do
		args="$args -d $f"
	done
	# shellcheck disable=SC2086
	"$AJV" validate --spec=draft2020 --strict=false -c ajv-formats \
		-s "$schema" $args --errors=text >"$TMP/ajv.out" 2>&1
	for f in "$@"; do
		checks=$((checks + 1))
		if grep -qxF "$f $want" "$TMP/ajv.out"; then
			continue
		fi
		fail "$f: expected $want against $(basename "$schema")"
		grep -A1 -F "$f " "$TMP/ajv.out" | head -5 >&2
	done
}

# The schemas themselves compile.
for s in "$V1" "$V0"; do
	check "$(basename "$s") compiles" "$AJV" compile --spec=draft2020 \
		--strict=false -c ajv-formats -s "$s" >/dev/null
done

# harmont's own v0 documents: the committed copies of the corpus
# (t-lower-golden.sh checks that they equal the originals in shared/).
set --
for f in testdata/lower/harmont/*.json; do
	case $f in *.out.json) continue ;; esac
	set -- "$@" "$f"
done
validate "$V0" valid "$@"

# Hand-written v1 documents; testdata/schema/README explains each.
validate "$V1" valid testdata/schema/valid-*.json
validate "$V1" invalid testdata/schema/invalid-*.json

# What the tools write: golden outputs of hm-lower (except the cases run
# with --dot or --check, whose output is DOT or nothing), baked IR of
# hm-bake.
set --
for f in testdata/lower/*.out.json testdata/bake/*.json; do
	[ -f "$f" ] || continue
	a=${f%.out.json}.args
	[ -f "$a" ] && grep -qE -- "--dot|--check" "$a" && continue
	set -- "$@" "$f"
done
validate "$V1" valid "$@"

# The examples in the spec: every ```json block is JSON; whole documents
# (they have "version", or "schema_version") pass their schema.
awk -v dir="$TMP" '
	/^```json[ \t]*$/ { n++; out = sprintf("%s/spec-%03d.json", dir, n);
		printf "" > out; inblk = 1; src[n] = FILENAME ":" FNR; next }
	/^```/ && inblk { inblk = 0; close(out); next }
	inblk { print >> out }
	END { for (i = 1; i <= n; i++) print src[i] > (dir "/spec-src") }
' ir-spec/*.md
set --
v0=""
if [ -f "$TMP/spec-src" ]; then
	i=0
	while read -r where; do
		i=$((i + 1))
		f=$(printf '%s/spec-%03d.json' "$TMP" "$i")
		checks=$((checks + 1))
		if ! v=$(jq -r 'if type == "object" then (.version // .schema_version // "") else "" end' "$f" 2>/dev/null); then
			fail "$where: the json block is not JSON"
			continue
		fi
		case $v in
		1)	if jq -e 'has("schema_version")' "$f" >/dev/null; then
				v0="$v0 $f"
			else
				set -- "$@" "$f"
			fi ;;
		0)	v0="$v0 $f" ;;
		esac
	done <"$TMP/spec-src"
fi
validate "$V1" valid "$@"
# shellcheck disable=SC2086
validate "$V0" valid $v0

finish
