#!/bin/sh
# hm: step outputs as checked references, at run time: a consumer whose
# producer wrote nothing fails (a step, and a dynamic target's bake),
# never reading an empty value; and the definition dynamic steps bake
# from is the copy taken when the run started, found relative to the IR.
. "$(dirname "$0")/lib.sh"
cd "$TMP" || exit 1
X="$HM_EXEC"

# ci.yml: detect writes shards only when WRITE is set; 'use' reads it in
# its sh, the dynamic target 'tests' in a matrix axis.
mkdir -p proj other
cat >proj/ci.yml <<'YML'
targets:
  checks:
    steps:
      - sh: 'if [ -n "${WRITE:-}" ]; then echo "shards=1 3" >> "$HM_OUTPUT"; fi; echo "detect ran" >> order'
        label: detect
  report:
    from: checks
    steps:
      - sh: 'echo "use ${{ outputs.checks/detect.shards }}" >> order'
        label: use
  tests:
    dynamic: true
    from: checks
    continue: join
    steps:
      - matrix:
          shard: {output: checks/detect.shards}
        label: shards
        continue: join
        steps:
          - sh: 'echo "shard ${{ matrix.shard }}" >> order'
            label: shard ${{ matrix.shard }}
pipelines:
  ci: [checks, report, tests]
YML
# baked beside the definition: source.definition is "ci.yml", relative
# to the IR file
(cd proj && "$HM_BAKE" ci.yml >ci.hm.json)
check "baked" test -s proj/ci.hm.json

# 1. written: the step reads the value, the matrix has its shards
WRITE=1 "$X" -j1 proj/ci.hm.json >out 2>&1
check "written: the run passes" test $? -eq 0
check "written: the step read it" grep -qx 'use 1 3' order
check "written: one test per shard" test "$(grep -c '^shard ' order)" = 2
rm -f order

# 2. not written: the consumer fails with the producer's key and the
# output's name, before it runs; so does the dynamic target's bake
must_fail 1 "not written: the run fails" "$X" -j1 -k proj/ci.hm.json >out 2>&1
check "not written: detect ran" grep -qx 'detect ran' order
check "not written: use never ran" sh -c '! grep -q "^use" order'
check "not written: the consumer's failure says which" \
	grep -q "output 'shards' of step 'checks/detect' was not written" out
check "not written: use failed" grep -q -- '--- use: failed' out
check "not written: no shard ran" sh -c '! grep -q "^shard" order'
check "not written: the bake failed too" grep -q -- '--- tests \[bake\]: failed' out
rm -f order

# 3. the IR run from another directory: source.definition ("ci.yml", as
# baked) is found relative to the IR file, not the working directory
check "recorded as given" test "$(jq -r .source.definition proj/ci.hm.json)" = ci.yml
(cd other && WRITE=1 "$X" -j1 ../proj/ci.hm.json >out 2>&1)
check "from another directory: passes" test $? -eq 0
check "from another directory: the shards ran" \
	test "$(grep -c '^shard ' other/order)" = 2
rm -f other/order

# 4. a definition edited while the run goes on: the bake reads the copy
# taken at the start, kept in the run's directory
cat >edit.yml <<'YML'
targets:
  first:
    steps:
      - sh: "sed -i 's/echo original/echo edited/' edit.yml"
  later:
    dynamic: true
    depends_on: first
    steps:
      - sh: echo original >> order
pipelines:
  ci: [first, later]
YML
"$HM_BAKE" edit.yml >edit.hm.json
check "edited mid-run: passes" "$X" -j1 --log-dir logs edit.hm.json >out 2>&1
check "edited mid-run: the file was edited" grep -q 'echo edited' edit.yml
check "edited mid-run: the bake read the start's copy" grep -qx original order
check "the copy is in the run's directory" grep -q 'echo original' logs/definition-edit.yml
rm -f order

# 5. a definition missing when the run starts: 66 before any step
sed 's|"definition": "ci.yml"|"definition": "gone.yml"|' proj/ci.hm.json >proj/gone.hm.json
must_fail 66 "missing definition: 66" "$X" -j1 proj/gone.hm.json >out 2>&1
check "missing definition: says which" grep -q "cannot read the definition 'proj/gone.yml'" out
check "missing definition: no step ran" test ! -e order
finish
