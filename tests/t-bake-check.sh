#!/bin/sh
# hm: hm-bake --check (any number of files, every pipeline, silent when
# fine, the worst status), --fresh (the IR committed beside a definition
# is what baking it gives now) and --target NAME --with-deps.
. "$(dirname "$0")/lib.sh"
cd "$TMP" || exit 1

cat >ok.yml <<'YAML'
targets:
  a: [{sh: echo a, label: a}]
pipelines:
  ci: [a]
YAML
cat >two.yml <<'YAML'
targets:
  a: [{sh: 'true', label: a}]
  b: {from: a, steps: [{generate: 'exit 3'}]}
pipelines:
  one: [a]
  two: [b]
YAML
printf 'targets:\n  a: [{sh: x, lable: y}]\npipelines:\n  ci: [a]\n' >bad.yml

# --check
"$HM_BAKE" --check ok.yml "$TOP/examples/bake-checks.yml" >out 2>err
check "--check, valid files: exit 0" test $? -eq 0
check "--check, valid files: silent" test ! -s out -a ! -s err
must_fail 65 "--check, a bad file among good ones" "$HM_BAKE" --check ok.yml bad.yml ok.yml 2>err
check "--check names the bad file" grep -q '^hm-bake: bad.yml:2:' err
check "--check: one message" test "$(wc -l <err)" -eq 1
must_fail 65 "--check bakes every pipeline, not only the first" "$HM_BAKE" --check two.yml 2>err
check "--check: the second pipeline's failure" grep -q "^hm-bake: two.yml:3:.*generator in target 'b' failed" err
must_fail 0 "--check --pipeline: that one only" "$HM_BAKE" --check --pipeline one two.yml
must_fail 66 "--check: the worst status" "$HM_BAKE" --check bad.yml missing.yml ok.yml 2>err
check "--check goes on after a missing file" grep -q 'bad.yml' err

# every mistake of a file once, whatever the number of pipelines: the
# schema's (which no longer stops the bake of the others) and a dynamic
# target's expression, with the continuation error of another target
cat >multi.yml <<'YAML'
targets:
  a: [{sh: echo a, key: a, lable: x}]
  d:
    dynamic: true
    steps:
      - sh: echo ${{ matrix.x }}
  g:
    steps:
      - group: [{sh: a, key: a}, {sh: b, key: b}]
        key: two
      - {sh: c, key: c}
pipelines:
  one: [a, g]
  two: [a, d]
YAML
must_fail 65 "--check, several pipelines" "$HM_BAKE" --check multi.yml 2>err
check "--check tells each mistake once" test "$(wc -l <err)" -eq 3
check "--check: the schema's" grep -q "^hm-bake: multi.yml:2:28: error: unknown field 'lable'" err
check "--check: the dynamic target's expression" grep -q "^hm-bake: multi.yml:6:13: error: unknown matrix variable" err
check "--check: the continuation" grep -q "^hm-bake: multi.yml:11:9: error: step 'g/c' builds in group 'g/two'" err

# --fresh
"$HM_BAKE" ok.yml >ok.hm.json
cp two.yml pair.hm.yml
"$HM_BAKE" --pipeline one pair.hm.yml >pair.hm.json
printf '{"version": "1", "steps": []}\n' >alone.hm.json
must_fail 0 "--fresh, up to date (definition, IR, both, unpaired)" \
	"$HM_BAKE" --fresh ok.yml ok.hm.json pair.hm.yml alone.hm.json other.txt
"$HM_BAKE" --compact ok.yml >ok.hm.json
must_fail 0 "--fresh compares canonical forms" "$HM_BAKE" --fresh ok.yml
sed 's/echo a/echo b/' ok.yml >ok2 && mv ok2 ok.yml
must_fail 1 "--fresh, out of date" "$HM_BAKE" --fresh ok.yml ok.hm.json 2>err
check "--fresh says how to bake again" grep -qx \
	'hm-bake: ok.hm.json is not up to date with ok.yml: bake it again (hm-bake ok.yml > ok.hm.json)' err
check "--fresh: each pair once" test "$(wc -l <err)" -eq 1
printf 'targets:\n  a: [{sh: x}]\n  b: [{sh: y}]\npipelines:\n  one: [a]\n  two: [b]\n' >pair.hm.yml
must_fail 1 "--fresh bakes the pipeline the IR records" "$HM_BAKE" --fresh pair.hm.json 2>err
check "--fresh names the pipeline" grep -q -- '--pipeline one pair.hm.yml > pair.hm.json' err
printf 'targets: [' >ok.yml
must_fail 65 "--fresh, invalid definition" "$HM_BAKE" --fresh ok.hm.json 2>/dev/null
must_fail 64 "--fresh with --target" "$HM_BAKE" --fresh --target a ok.yml 2>/dev/null

# --with-deps
must_fail 64 "--with-deps without --target" "$HM_BAKE" --with-deps two.yml 2>/dev/null
must_fail 64 "--with-deps with --key-prefix" "$HM_BAKE" --with-deps --target a --key-prefix x two.yml 2>/dev/null
"$HM_BAKE" --target b --with-deps two.yml >/dev/null 2>err
check "--with-deps evaluates what it bakes" grep -q "generator in target 'b' failed" err
"$HM_BAKE" --target a --with-deps two.yml >a.json
check "--with-deps: a document, not a fragment" "$HM_LOWER" --check a.json
check "--with-deps: only a" test "$(jq -c '[.steps[].key]' a.json)" = '["a"]'
check "--with-deps: no pipeline named" test "$(jq -c '.source' a.json)" = '{"definition":"two.yml"}'
finish
