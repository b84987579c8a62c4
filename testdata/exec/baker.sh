#!/bin/sh
# hm: a test baker. BAKE DEF --target NAME --key-prefix KEY prints the file
# frag-NAME.json in $FRAGS, else beside DEF (DEF is hm-exec's copy of the
# definition, in the run's log directory) (frag-NAME-V.json if $HM_OUT_DETECT_VARIANT
# is V) with every @K@ replaced by KEY. Targets "fail" and "hang" fail
# and hang. Each call is appended to $BAKE_LOG if set.
def=$1
shift
name= key=
while [ $# -gt 0 ]; do
	case $1 in
	--target) name=$2; shift 2 ;;
	--key-prefix) key=$2; shift 2 ;;
	*) echo "baker.sh: unexpected argument '$1'" >&2; exit 2 ;;
	esac
done
[ -n "${BAKE_LOG:-}" ] && echo "$name $key ${HM_STEP_KEY:-} ${BAKE_ENV:-}" >>"$BAKE_LOG"
echo "baking target $name under $key" >&2
case $name in
fail) echo "baker.sh: target 'fail' always fails" >&2; exit 3 ;;
hang) echo $$ >"${BAKE_PID:-/dev/null}"; exec sleep 300 ;;
esac
f="${FRAGS:-$(dirname "$def")}/frag-$name${HM_OUT_DETECT_VARIANT:+-$HM_OUT_DETECT_VARIANT}.json"
if [ ! -f "$f" ]; then
	echo "baker.sh: no fragment '$f'" >&2
	exit 4
fi
sed "s|@K@|$key|g" "$f"
