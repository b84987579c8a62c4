#!/bin/sh
# hm: make demo. Bakes examples/demo.yml, runs it with its two dynamic
# steps baked when the run reaches them, then prints the fully expanded
# graph as the run left it and draws it.
set -u
: "${O:=build}"
cd "$(dirname "$0")/.." || exit 1
mkdir -p .hm/demo
echo "== hm-bake examples/demo.yml | hm-exec -j2 --emit-ir .hm/demo/expanded.json"
"$O/hm-bake" examples/demo.yml | "$O/hm-exec" -j2 --emit-ir .hm/demo/expanded.json
status=$?
echo
echo "== the expanded graph (hm-lower --compact), one step a line"
"$O/hm-lower" --compact .hm/demo/expanded.json | sed 's/},{"type"/},\n  {"type"/g'
if command -v dot >/dev/null 2>&1; then
	"$O/hm-lower" --dot .hm/demo/expanded.json | dot -Tsvg >.hm/demo/expanded.svg &&
		echo "== drawn: .hm/demo/expanded.svg (hm-lower --dot | dot -Tsvg)"
fi
exit $status
