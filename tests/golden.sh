#!/bin/sh
# hm: regenerate every golden file (make golden). Review the diff before
# committing: a golden file is a claim about behaviour.
cd "$(dirname "$0")/.." || exit 1
for t in tests/t-*-golden.sh; do
	sh "$t" --regenerate || exit 1
done
git status --short testdata
