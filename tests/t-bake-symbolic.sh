#!/bin/sh
# hm: the static bake tries a dynamic target whose bake needs run-time
# values with symbolic ones (hm-bake(1), ir-spec/dynamic.md): what holds
# for every value is told, what depends on one is left to the run.
. "$(dirname "$0")/lib.sh"
DATA="$TOP/testdata/bake"

cp "$DATA/dyn-sym-shards.yml" "$TMP" && cd "$TMP" || exit 1

# fine with one shard, ambiguous with two: not the static bake's error,
# and the run with two shards still fails on it
check "shards: the static bake passes" \
    sh -c "'$HM_BAKE' dyn-sym-shards.yml >two.json 2>err"
check "shards: nothing told" test ! -s err
must_fail 1 "shards: the run with two shards fails" "$HM_EXEC" two.json \
    >out 2>&1
check "shards: the run names the matrix" grep -q \
    "step 'tests/summary' builds in group 'tests/shards', which has 2 leaves" \
    out
sed 's/shards=1 2/shards=1/' dyn-sym-shards.yml >one.yml
"$HM_BAKE" one.yml >one.json 2>err
check "shards: the run with one shard passes" \
    sh -c "'$HM_EXEC' one.json >out 2>&1"

# what depends on a run-time value is not told: a mistake on one path of
# a condition on a variable the target does not set, on a matrix value
# or on a variable set from an output; a generator's target gets no
# verdict at all
cat >cond.yml <<'YAML'
targets:
  detect:
    steps:
      - {sh: 'echo "shards=1 2" >> "$HM_OUTPUT"', key: scan}
  envcond:
    dynamic: true
    steps:
      - if:
          - env: MODE == fast
            then:
              - group: [{sh: echo a, key: a}, {sh: echo b, key: b}]
                key: g
      - {sh: echo next, key: next}
  gen:
    dynamic: true
    steps:
      - generate: "echo '[{sh: echo a, key: a}]'"
      - {sh: echo b, key: a}
  matcond:
    dynamic: true
    from: detect
    continue: join
    steps:
      - matrix:
          shard: {output: detect/scan.shards}
        key: m
        continue: join
        steps:
          - if:
              - env: HM_MATRIX_SHARD != 1
                then:
                  - group: [{sh: echo a, key: a}, {sh: echo b, key: b}]
                    key: g
          - {sh: echo next, key: next}
  outcond:
    dynamic: true
    from: detect
    env: {MODE: '${{ outputs.detect/scan.shards }}'}
    steps:
      - if:
          - env: MODE != 1
            then:
              - group: [{sh: echo a, key: a}, {sh: echo b, key: b}]
                key: g
      - {sh: echo next, key: next}
pipelines:
  ci: [envcond, gen, matcond, outcond]
YAML
check "conditions, generators: no verdict" \
    sh -c "'$HM_BAKE' cond.yml >/dev/null 2>err"
check "conditions, generators: nothing told" test ! -s err

# every path of the conditions (testdata/bake/err-dyn-cond.*): a mistake
# on all of them is told, one on some is the run's; the run finds it
# on the path that has it, and passes on the one that does not
cp "$DATA/err-dyn-cond.yml" .
must_fail 65 "err-dyn-cond: the static bake fails" "$HM_BAKE" err-dyn-cond.yml \
    2>err
check "err-dyn-cond: three mistakes" test "$(grep -c ': error: ' err)" -eq 3
check "err-dyn-cond: not the one-path duplicate" sh -c "! grep -q maybe err"
check "err-dyn-cond: in place, what continues from it" \
    grep -q "step 'after-alert' builds in 'alert'" err
check "err-dyn-cond: not the one-path ambiguity" sh -c "! grep -q release err"
# one_path WHAT NAME END TARGETS MESSAGE: target NAME of err-dyn-cond.yml
# (up to the line matching END) in a pipeline of TARGETS bakes cleanly;
# the run passes without RELEASE, fails with RELEASE=1 and says MESSAGE
one_path() {
	what=$1 name=$2 end=$3 targets=$4 msg=$5
	sed -n "/^  $name:/,/$end/p" err-dyn-cond.yml | sed '$d' >"$name.txt"
	{ echo 'targets:'; cat "$name.txt"
	  printf 'pipelines:\n  ci: [%s]\n' "$targets"; } >"$name.yml"
	check "$what: the static bake passes" \
	    sh -c "'$HM_BAKE' $name.yml >$name.json 2>err"
	check "$what: the run without RELEASE passes" \
	    sh -c "env -u RELEASE '$HM_EXEC' $name.json >out 2>&1"
	must_fail 1 "$what: the run with RELEASE=1 fails" \
	    env RELEASE=1 "$HM_EXEC" "$name.json" >out 2>&1
	check "$what: the run names it" grep -q "$msg" out
}
one_path "one-path ambiguity" release '^pipelines:' 'release, after-release' \
    "step 'after-release' builds in 'release'"
one_path "one-path duplicate" maybe '^  # a group' maybe \
    "key 'maybe/out' is already used"

# a duplicate on every path of six conditions is told; past six
# conditions the target gets no verdict
conds() {
	echo 'targets:'
	echo '  many:'
	echo '    dynamic: true'
	echo '    steps:'
	i=0
	while [ $i -lt "$1" ]; do
		echo "      - if: [{sh: test -f f$i, then: [{sh: echo $i, key: c$i}]}]"
		i=$((i + 1))
	done
	echo '      - {sh: echo one, key: same}'
	echo '      - {sh: echo two, key: same}'
	printf 'pipelines:\n  ci: [many]\n'
}
conds 6 >six.yml
must_fail 65 "six conditions: the duplicate is told" "$HM_BAKE" six.yml \
    2>err
check "six conditions: once" test "$(grep -c "key 'many/same'" err)" -eq 1
conds 7 >seven.yml
check "seven conditions: no verdict" \
    sh -c "'$HM_BAKE' seven.yml >/dev/null 2>err"
check "seven conditions: nothing told" test ! -s err

# a value that only the run knows, where a name is needed: a message
# would be about the symbolic value, and none is told
cat >named.yml <<'YAML'
targets:
  detect:
    steps:
      - {sh: 'echo "member=a" >> "$HM_OUTPUT"', key: scan}
  pick:
    dynamic: true
    from: detect
    steps:
      - group: [{sh: echo a, key: a}, {sh: echo b, key: b}]
        continue_in: ${{ outputs.detect/scan.member }}
        key: g
      - {sh: echo next, key: next}
YAML
printf 'pipelines:\n  ci: [detect, pick]\n' >>named.yml
check "a symbolic name: no verdict" \
    sh -c "'$HM_BAKE' named.yml >named.json 2>err"
check "a symbolic name: nothing told" test ! -s err
check "a symbolic name: the run passes" \
    sh -c "'$HM_EXEC' named.json >out 2>&1"

# the mistakes that hold for every value (testdata/bake/err-dyn-sym.*):
# no message ever shows a symbolic value
cp "$DATA/err-dyn-sym.yml" .
must_fail 65 "err-dyn-sym: the static bake fails" "$HM_BAKE" err-dyn-sym.yml \
    2>err
check "err-dyn-sym: four mistakes" test "$(grep -c ': error: ' err)" -eq 4
check "err-dyn-sym: no symbolic value shown" sh -c "! grep -qi hmsym err"
finish
