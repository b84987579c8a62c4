#!/bin/sh
# hm: bench generator: one graph of trivial steps (`true`) written three
# ways from the same loop, so the three runners do the same work:
#	gen.sh wide N DIR		N independent steps
#	gen.sh chains C L DIR		C chains of L steps (each builds in the last)
#	gen.sh dynamic P M DIR		P dynamic steps, each baking M steps
#	gen.sh dynbig N P M DIR		the same beside N steps that never
#					run (they depend on a failing one):
#					the graph an expansion rebuilds
# writes DIR/ir.json, DIR/build.ninja, DIR/Makefile (wide and chains) and,
# for dynamic, DIR/baker (prints the fragment of its --key-prefix).
set -eu
shape=$1
case $shape in
wide) n=$2; c=1; l=$n; dir=$3 ;;
chains) c=$2; l=$3; n=$((c * l)); dir=$4 ;;
dynamic) c=$2; l=$3; dir=$4; big=0 ;;
dynbig) big=$2; c=$3; l=$4; dir=$5; shape=dynamic ;;
*) echo "gen.sh: unknown shape '$shape'" >&2; exit 64 ;;
esac
mkdir -p "$dir"
if [ "$shape" = dynamic ]; then
	awk -v p="$c" -v big="$big" 'BEGIN {
		printf "{\"version\":\"1\",\"source\":{\"definition\":\"none\"},\"steps\":[\n"
		for (i = 1; i <= p; i++)
			printf "%s{\"type\":\"command\",\"key\":\"d%d\",\"eval\":{\"type\":\"dynamic\",\"target_name\":\"t\",\"continue\":\"join\"},\"builds_in\":null}\n", (i > 1 ? "," : ""), i
		if (big > 0)
			printf ",{\"type\":\"command\",\"key\":\"f\",\"eval\":{\"type\":\"cmd\",\"cmd\":\"false\"},\"builds_in\":null}\n"
		for (i = 1; i <= big; i++)
			printf ",{\"type\":\"command\",\"key\":\"b%d\",\"eval\":{\"type\":\"cmd\",\"cmd\":\"true\"},\"builds_in\":null,\"depends_on\":[\"f\"]}\n", i
		printf "]}\n"
	}' >"$dir/ir.json"
	# the baker: a shell script printing a fragment of M steps
	{
		echo '#!/bin/sh'
		echo 'shift 3; k=$2'
		awk -v m="$l" 'BEGIN {
			printf "printf %%s \"{\\\"version\\\":\\\"1\\\",\\\"steps\\\":["
			for (i = 1; i <= m; i++)
				printf "%s{\\\"type\\\":\\\"command\\\",\\\"key\\\":\\\"$k/s%d\\\",\\\"eval\\\":{\\\"type\\\":\\\"cmd\\\",\\\"cmd\\\":\\\"true\\\"},\\\"builds_in\\\":null}", (i > 1 ? "," : ""), i
			printf "]}\"\n"
		}'
	} >"$dir/baker"
	chmod +x "$dir/baker"
	# the definition a run copies at its start (the baker ignores it)
	: >"$dir/none"
	exit 0
fi
awk -v c="$c" -v l="$l" -v shape="$shape" -v dir="$dir" 'BEGIN {
	ir = dir "/ir.json"; nj = dir "/build.ninja"; mk = dir "/Makefile"
	printf "{\"version\":\"1\",\"steps\":[\n" >ir
	printf "rule r\n  command = true\n" >nj
	printf ".PHONY: all\nall:" >mk
	for (i = 1; i <= c; i++)
		for (j = 1; j <= l; j++)
			if (shape == "wide" || j == l)
				printf " s%d_%d", i, j >mk
	printf "\n" >mk
	first = 1
	for (i = 1; i <= c; i++) {
		for (j = 1; j <= l; j++) {
			k = "s" i "_" j
			prev = (shape == "chains" && j > 1) ? "s" i "_" (j - 1) : ""
			printf "%s{\"type\":\"command\",\"key\":\"%s\",\"eval\":{\"type\":\"cmd\",\"cmd\":\"true\"},\"builds_in\":%s}\n", (first ? "" : ","), k, (prev == "" ? "null" : "\"" prev "\"") >ir
			first = 0
			printf "build %s: r%s\n", k, (prev == "" ? "" : " " prev) >nj
			printf ".PHONY: %s\n%s:%s\n\ttrue\n", k, k, (prev == "" ? "" : " " prev) >mk
		}
	}
	printf "]}\n" >ir
}'
