#!/bin/sh
# hm: every example command of README.md and of the EXAMPLES sections of
# hm-bake(1), hm-exec(1) and hm-lower(1), run as written: each line of a
# README code block (or indented block) that runs an hm tool, each
# "$ command" of a page, in a directory with the README's own ci.yml and
# the files the commands name, with stubs for the programs the pipelines
# call (apt-get, make, curl, date). A new example with no file to work
# on fails here until it has one. (t-lower-examples.sh and t-exec-man.sh
# check what some of them print.)
. "$(dirname "$0")/lib.sh"
cd "$TMP" || exit 1
E="$TOP/testdata/examples"

# the README's ci.yml, as printed
awk '/^```yaml$/ { inb = 1; n = 0; next } /^```/ { inb = 0 }
	inb && n++ == 0 && $0 != "# ci.yml" { inb = 0 }
	inb' "$TOP/README.md" >ci.yml
checks=$((checks + 1))
grep -q '^targets:' ci.yml || fail "no '# ci.yml' block in README.md"

mkdir bin
for p in apt-get make curl; do
	printf '#!/bin/sh\necho "%s $*" >>"%s/calls"\n' "$p" "$TMP" >bin/$p
	chmod +x bin/$p
done
cp "$TOP/testdata/bake/stub/date" bin/date
PATH="$TMP/bin:$TOP/$O:$PATH"
export PATH
cp "$E/legacy.json" "$E/pipelines.json" "$E/x.json" "$E/x.golden.json" .
"$TOP/$O/hm-lower" "$E/legacy.json" >ci.json
"$TOP/$O/hm-bake" ci.yml >ci.hm.json
cp "$TOP/examples/bake-checks.yml" other.yml
ln -s "$TOP/examples" examples

# every command line of the examples, without its comment
awk '/^```/ { if (inb) { inb = 0 } else { inb = 1; run = ($0 == "```" || $0 == "```sh") }; next }
	inb && run || !inb && /^    [^ -]/' "$TOP/README.md" |
	sed 's/^    //; s/  *# .*$//' |
	grep -E '(^|[ |])hm-(bake|lower|exec)( |$)' >commands
checks=$((checks + 1))
[ "$(wc -l <commands)" -ge 10 ] || fail "fewer than 10 commands found in README.md"
# a command for the Slurm runner runs when a cluster answers (.ci/run
# starts one; HM_TEST_SLURM=required insists); t-slurm covers the runner
slurm_up=
{ [ "${HM_TEST_SLURM:-}" = required ] || sinfo >/dev/null 2>&1; } && slurm_up=1
while IFS= read -r c; do
	case $c in
	*"--runner slurm"*) if [ -z "$slurm_up" ]; then
		echo "skip (no Slurm cluster): README: $c"; continue; fi ;;
	esac
	check "README: $c" sh -c "$c" >"$TMP/out" 2>&1 </dev/null ||
		sed 's/^/    /' "$TMP/out" >&2
done <commands

# the pages' examples: "$ command" lines, a trailing \ joining the next
for page in hm-bake.1 hm-exec.1 hm-lower.1; do
	mandoc -T ascii -O width=1000 "$TOP/man/$page" | sed 's/.\x08//g' |
		awk '/^EXAMPLES/ { on = 1; next } /^[A-Z][A-Z ]*$/ { on = 0 }
		on && /^ *\$ / { if (cmd != "") print cmd
			sub(/^ *\$ /, ""); cmd = $0; more = /\\$/; next }
		on && more { cmd = cmd "\n" $0; more = /\\$/; next }
		cmd != "" { print cmd; cmd = "" }
		END { if (cmd != "") print cmd }' |
		awk '{ while (sub(/\\$/, "")) { getline l; sub(/^ */, " ", l); $0 = $0 l } print }' \
		>"commands.$page"
	checks=$((checks + 1))
	[ -s "commands.$page" ] || fail "$page: no examples found"
	while IFS= read -r c; do
		check "$page: $c" bash -c "$c" >"$TMP/out" 2>&1 </dev/null ||
			sed 's/^/    /' "$TMP/out" >&2
	done <"commands.$page"
done

# what the pipeline of ci.yml did when it ran
checks=$((checks + 1))
for want in "apt-get update" "make test SHARD=1" "make test SHARD=3" \
    "curl -X POST https://foo.bar/logic-for-else"; do
	grep -qx "$want" calls || fail "README ci.yml: '$want' did not run"
done
checks=$((checks + 1))
RELEASE=1 hm-bake ci.yml | grep -q '"make dist"' || fail "README ci.yml: RELEASE=1 does not add dist"
finish
