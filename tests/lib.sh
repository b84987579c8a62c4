# hm: helpers for the shell tests (sourced). Each t-*.sh runs with
# O (build dir), HM_LOWER, HM_BAKE, HM_EXEC and a fresh TMP directory
# (kept on failure), and exits 0 only if every check passed.
set -u
: "${O:=build}"
TOP=$(cd "$(dirname "$0")/.." && pwd)
HM_LOWER="$TOP/$O/hm-lower"
HM_BAKE="$TOP/$O/hm-bake"
HM_EXEC="$TOP/$O/hm-exec"
# hm-exec's own tests observe the order of steps through files in one
# workspace: they run without isolation (t-isolate.sh asks for it)
HM_ISOLATE=none
export HM_ISOLATE
SHARED="${HM_SHARED:-$TOP/../shared}"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/hm-test.XXXXXX")
fails=0
checks=0

fail() {
	fails=$((fails + 1))
	echo "FAIL: $*" >&2
}

ok() {
	checks=$((checks + 1))
}

# check DESCRIPTION COMMAND...: the command must succeed.
check() {
	desc=$1; shift
	checks=$((checks + 1))
	if ! "$@"; then
		fail "$desc"
	fi
}

# must_fail CODE DESCRIPTION COMMAND...: the command must exit with CODE
# exactly; a signal, 126 or 127 is a crash, never an expected failure.
must_fail() {
	want=$1 desc=$2; shift 2
	checks=$((checks + 1))
	"$@"
	got=$?
	if [ "$got" -ne "$want" ]; then
		if [ "$got" -gt 128 ] || [ "$got" -eq 126 ] || [ "$got" -eq 127 ]; then
			fail "$desc: crashed or not found (status $got)"
		else
			fail "$desc: exit status $got, expected $want"
		fi
	fi
}

# same FILE1 FILE2 DESCRIPTION: the files must be byte-identical.
same() {
	checks=$((checks + 1))
	if ! cmp -s "$1" "$2"; then
		fail "$3"
		diff -u "$1" "$2" | head -40 >&2
	fi
}

finish() {
	if [ "$fails" -eq 0 ]; then
		rm -rf "$TMP"
		exit 0
	fi
	echo "$fails of $checks checks failed in $(basename "$0"); files kept in $TMP" >&2
	exit 1
}
