#!/bin/sh
# hm: hm-exec's entry points: a YAML definition baked by hm-exec itself
# (the same baker as for dynamic steps; --pipeline, --target with what it
# needs, -e NAME=VALUE passed on), the pipe from a failed hm-bake ("no
# input"), and a definition on the standard input.
. "$(dirname "$0")/lib.sh"
cd "$TMP" || exit 1
X="$HM_EXEC"
lines() { tr '\n' ' ' <order 2>/dev/null; }

cp "$TOP/testdata/exec/hmbake/ci.yml" .
check "hm-exec ci.yml" sh -c "'$X' ci.yml --emit-ir e.json >out 2>&1"
check "hm-exec ci.yml: build, the dynamic expansion, report" \
	test "$(lines)" = "build unit lint report "
check "hm-exec ci.yml: the definition is recorded for dynamic steps" \
	test "$(jq -r .source.definition e.json)" = ci.yml
rm -f order

cat >two.yml <<'YAML'
default: all
targets:
  deps: [{sh: echo deps >>order}]
  build: {from: deps, steps: [{sh: echo build >>order}]}
  lint: [{sh: echo lint >>order}]
  test:
    from: build
    depends_on: [lint]
    steps:
      - if:
          - env: MODE == "fast"
            then: [{sh: 'echo "test fast $MODE" >>order'}]
          - else: [{sh: 'echo "test full $MODE" >>order'}]
  docs: {from: build, steps: [{sh: echo docs >>order}]}
pipelines:
  all: [docs, wait, test]
  docs-only: [docs]
YAML
check "the default pipeline" sh -c "'$X' -j1 two.yml >out 2>&1"
check "the default pipeline: everything" test "$(sort order | tr '\n' ' ')" = "build deps docs lint test full  "
rm -f order
check "--pipeline is passed on" sh -c "'$X' two.yml --pipeline docs-only >out 2>&1"
check "--pipeline: docs only" test "$(lines)" = "deps build docs "
rm -f order
check "--target: the target and what it needs" sh -c "'$X' -j1 two.yml --target test >out 2>&1"
check "--target test: deps, build, lint, test; no docs" \
	test "$(sort order | tr '\n' ' ')" = "build deps lint test full  "
rm -f order
check "-e NAME=VALUE: at bake time and in the steps" sh -c "'$X' -e MODE=fast --target test two.yml >out 2>&1"
check "-e: the conditional and the step saw it" grep -qx "test fast fast" order
must_fail 64 "-e without =" "$X" -e MODE two.yml 2>/dev/null
must_fail 64 "--target, invalid name" "$X" --target 'a b' two.yml 2>/dev/null

# errors
printf 'targets:\n  a: [{sh: x, lable: y}]\npipelines:\n  ci: [a]\n' >bad.yml
must_fail 66 "hm-bake bad.yml | hm-exec" sh -c "'$HM_BAKE' bad.yml 2>/dev/null | '$X' 2>err"
check "no input: says what happened" grep -qx "hm-exec: no input (the command writing to hm-exec's standard input printed nothing)" err
check "no input: nothing else" test "$(wc -l <err)" -eq 1
must_fail 65 "hm-exec bad.yml" "$X" bad.yml 2>err
check "hm-exec bad.yml: the baker's message" grep -q "^hm-bake: bad.yml:2:15: error: unknown field 'lable'" err
must_fail 66 "hm-exec missing.yml" "$X" missing.yml 2>/dev/null
must_fail 65 "a definition on the standard input" sh -c "'$X' <two.yml 2>err"
check "a definition on stdin: what to do" grep -q "not IR but a YAML definition" err
"$HM_BAKE" two.yml >two.json
must_fail 64 "--target on IR" "$X" --target test two.json 2>err
check "--target on IR: what to do" grep -q "hm-bake --target NAME --with-deps" err
printf '#!/bin/sh\nexit 0\n' >silent && chmod +x silent
must_fail 65 "a baker that printed nothing" "$X" --bake ./silent two.yml 2>err
check "a baker that printed nothing: says so" grep -q "the baker './silent' printed nothing for two.yml" err
must_fail 66 "no baker" "$X" --bake ./nonexistent two.yml 2>err
check "no baker: says so" grep -q "cannot run './nonexistent' to bake two.yml" err
# IR still works, from a file and from the pipe
check "IR from the pipe" sh -c "'$HM_BAKE' ci.yml | '$X' >out 2>&1"
finish
