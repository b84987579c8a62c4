#!/bin/sh
# hm: the hooks of .pre-commit-hooks.yaml, run by the real pre-commit on
# commits in a temporary repository: hm-lower-check and hm-bake-check on
# several files at once, hm-ir-fresh on a definition and the IR baked
# from it. The hook repository is a local git repository holding this
# tree's .pre-commit-hooks.yaml (no network: the hooks are
# `language: system`, run from PATH).
. "$(dirname "$0")/lib.sh"

if ! command -v pre-commit >/dev/null 2>&1; then
	fail "pre-commit is not installed (run scripts/setup.sh)"
	finish
fi
PATH="$TOP/$O:$PATH"
PRE_COMMIT_HOME="$TMP/cache"
GIT_AUTHOR_NAME=test GIT_AUTHOR_EMAIL=test@example.org
GIT_COMMITTER_NAME=test GIT_COMMITTER_EMAIL=test@example.org
GIT_CONFIG_NOSYSTEM=1 HOME="$TMP"
export PATH PRE_COMMIT_HOME GIT_AUTHOR_NAME GIT_AUTHOR_EMAIL \
	GIT_COMMITTER_NAME GIT_COMMITTER_EMAIL GIT_CONFIG_NOSYSTEM HOME

# the hook repository
mkdir "$TMP/hooks" && cd "$TMP/hooks" || exit 1
git init -q . && cp "$TOP/.pre-commit-hooks.yaml" . &&
	git add .pre-commit-hooks.yaml && git commit -qm hooks || {
	fail "cannot make the hook repository"; finish; }
rev=$(git rev-parse HEAD)

# the project that uses them
mkdir "$TMP/proj" && cd "$TMP/proj" || exit 1
git init -q .
cat >.pre-commit-config.yaml <<EOF2
repos:
  - repo: $TMP/hooks
    rev: $rev
    hooks:
      - id: hm-lower-check
      - id: hm-bake-check
      - id: hm-ir-fresh
EOF2
check "pre-commit install" sh -c 'pre-commit install >/dev/null'

# commit: the hooks' output goes to $TMP/log, the status is returned
commit() {
	git commit -qm "$1" >"$TMP/log" 2>&1
}

mkdir ci
cp "$TOP/testdata/examples/x.json" a.hm.json
cp "$TOP/testdata/examples/legacy.golden.json" ci/b.hm.json
cp "$TOP/examples/bake-checks.yml" one.hm.yml
cp "$TOP/examples/bake-env-switch.yml" ci/two.hm.yml
cat >ci.yml <<'YAML'
targets:
  build: [{sh: make, label: build}]
pipelines:
  ci: [build]
YAML
hm-bake ci.yml >ci.hm.json
git add -A
check "good files commit" commit "good files"
check "the hooks ran on them" grep -q 'hm-lower --check.*Passed' "$TMP/log"
check "hm-bake-check ran" grep -q 'hm-bake --check.*Passed' "$TMP/log"
check "hm-ir-fresh ran" grep -q 'hm-bake --fresh.*Passed' "$TMP/log"

# two IR files, one invalid: the commit is refused, the bad one named
printf '{"version": "1", "steps": [{"type": "command", "key": "a b"}]}\n' >ci/bad.hm.json
cp "$TOP/testdata/examples/x.json" c.hm.json
git add -A
must_fail 1 "an invalid IR file stops the commit" commit "bad ir"
check "hm-lower-check failed" grep -q 'hm-lower --check.*Failed' "$TMP/log"
check "the message names the file" grep -q 'hm-lower: ci/bad.hm.json:1:' "$TMP/log"
check "nothing about the valid one" sh -c "! grep -q 'hm-lower: c.hm.json' '$TMP/log'"
git rm -q --cached ci/bad.hm.json && rm ci/bad.hm.json
check "without it, the commit goes through" commit "more ir"

# two definitions, one invalid
cp "$TOP/examples/bake-shards.yml" three.hm.yml
printf 'targets:\n  a: [{sh: x, lable: y}]\npipelines:\n  ci: [a]\n' >ci/four.hm.yml
git add -A
must_fail 1 "an invalid definition stops the commit" commit "bad definition"
check "hm-bake-check failed" grep -q 'hm-bake --check.*Failed' "$TMP/log"
check "the message names it" grep -q "hm-bake: ci/four.hm.yml:2:" "$TMP/log"
git rm -q --cached ci/four.hm.yml && rm ci/four.hm.yml
check "without it, the commit goes through" commit "more definitions"

# a definition changed, its IR not baked again
sed 's/sh: make,/sh: make -j4,/' ci.yml >ci.new && mv ci.new ci.yml
git add ci.yml
must_fail 1 "a stale IR stops the commit" commit "stale"
check "hm-ir-fresh failed" grep -q 'hm-bake --fresh.*Failed' "$TMP/log"
check "it says how to bake again" grep -q 'ci.hm.json is not up to date with ci.yml: bake it again (hm-bake ci.yml > ci.hm.json)' "$TMP/log"
hm-bake ci.yml >ci.hm.json
git add ci.hm.json
check "baked again, the commit goes through" commit "fresh"
check "pre-commit run --all-files" sh -c 'pre-commit run --all-files >"$1" 2>&1' sh "$TMP/log"
finish
