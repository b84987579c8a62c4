#!/bin/sh
# hm: a step that starts fresh runs in its image: an unpacked root file
# system on --image-path, made here from busybox-static's static binary
# (scripts/setup.sh installs it), also as an OCI image layout with two
# layers (a whiteout in the second) and as an archive of it, by tag. The
# workspace is at /workspace; what a
# step changes anywhere in the system is there for the steps that
# continue in it, and not for a sibling; the log directory and
# $HM_OUTPUT work; the workspace and the image stay as they were; an
# image that is not there stops the run before it starts, naming where
# it looked. As root, and as an unprivileged user made here (mapped to
# uid 0 inside).
. "$(dirname "$0")/lib.sh"

bb=${BUSYBOX:-/bin/busybox}
if ! [ -x "$bb" ] || ! file -L "$bb" 2>/dev/null | grep -q 'statically linked'; then
	echo "SKIP: IMAGE TESTS NOT RUN: no static busybox at $bb to build a root file system from (scripts/setup.sh installs busybox-static)" >&2
	finish
fi
if ! "$TOP/$O/hm-sandbox" -C "$TMP" --probe "$TMP" >"$TMP/probe" 2>&1; then
	if [ "$(id -u)" -eq 0 ]; then
		fail "as root, hm-sandbox --probe fails: $(cat "$TMP/probe")"
	else
		echo "SKIP: IMAGE TESTS NOT RUN: no overlay here: $(cat "$TMP/probe")" >&2
	fi
	finish
fi

# the image: busybox and its applets, nothing else
img="$TMP/images/mini"
mkdir -p "$img/bin" "$img/etc" "$img/usr/local/bin"
cp "$bb" "$img/bin/busybox"
for a in $("$bb" --list); do
	[ -e "$img/bin/$a" ] || ln -s busybox "$img/bin/$a"
done
echo mini >"$img/etc/hostname"
( cd "$img" && find . | sort ) >"$TMP/image-before"

cat >"$TMP/img.json" <<'EOF2'
{"version": "1", "default_image": "mini", "steps": [
  {"type": "command", "key": "a", "builds_in": null, "eval": {"type": "cmd", "cmd": "test \"$(pwd)\" = /workspace && test -e base && test \"$(cat /etc/hostname)\" = mini && test ! -e /etc/debian_version && test \"$(id -u)\" = 0 && printf '#!/bin/sh\\necho tool\\n' >/usr/local/bin/tool && chmod +x /usr/local/bin/tool && echo a >fa && echo answer=42 >\"$HM_OUTPUT\""}},
  {"type": "command", "key": "b", "builds_in": "a", "eval": {"type": "cmd", "cmd": "test \"$(tool)\" = tool && test -e fa && test -e base && test \"$HM_OUT_A_ANSWER\" = 42"}},
  {"type": "command", "key": "c", "builds_in": null, "eval": {"type": "cmd", "cmd": "test ! -e /usr/local/bin/tool && test ! -e fa && test -e base"}},
  {"type": "command", "key": "h", "builds_in": null, "runner": "host", "eval": {"type": "cmd", "cmd": "test -e /etc/debian_version || test ! -e /usr/local/bin/tool"}}
]}
EOF2

# run NAME DOC [ARGS]: DOC in a fresh workspace
run() {
	name=$1 doc=$2; shift 2
	ws="$TMP/ws/$name"
	rm -rf "$ws"
	mkdir -p "$ws"
	echo base >"$ws/base"
	(cd "$ws" && "$HM_EXEC" --isolate=overlay --store "$TMP/store" \
		--events "$ws.events" "$@" "$doc") >"$ws.out" 2>&1
}

run img "$TMP/img.json" --image-path "$TMP/none:$TMP/images"
checks=$((checks + 1))
if ! grep -q '"event": *"run_finished".*"exit_code": *0' "$ws.events"; then
	fail "a chain in an image, a sibling and a host step"
	tail -30 "$ws.out" >&2
fi
check "the workspace is unchanged" test ! -e "$ws/fa"
( cd "$img" && find . | sort ) >"$TMP/image-after"
same "$TMP/image-before" "$TMP/image-after" "the image is unchanged"

# an image that is not there: before the run, where it looked
must_fail 66 "a missing image stops the run" run missing "$TMP/img.json" \
	--image-path "$TMP/nowhere"
check "and says which image and where it looked" \
	grep -q "image 'mini' is not available here: nothing at '$TMP/nowhere/mini'" "$ws.out"
check "before any step started" sh -c "! grep -qs step_started '$ws.events'"
must_fail 66 "no --image-path" run nopath "$TMP/img.json"
check "says so" grep -q "no --image-path given" "$ws.out"
mkdir -p "$TMP/ws/copy"
must_fail 69 "copies cannot run images" sh -c "cd '$TMP/ws/copy' && '$HM_EXEC' --isolate=copy --store '$TMP/store' --image-path '$TMP/images' '$TMP/img.json' 2>'$TMP/copy.err'"
check "and say so" grep -q "images need --isolate=overlay" "$TMP/copy.err"

# OCI: a layout with two layers (the second deletes /etc/hostname with a
# whiteout and adds a file), tagged 1.0, and an archive of it
# mklayout DIR LAYER...: an OCI layout of those layers (files), tagged 1.0
mklayout() {
	oci=$1; shift
	mkdir -p "$oci/blobs/sha256"
	ls=
	for f in "$@"; do
		d=$(blob "$f")
		ls="$ls${ls:+, }{\"mediaType\": \"application/vnd.oci.image.layer.v1.tar\", \"digest\": \"sha256:$d\", \"size\": $(size "$d")}"
	done
	echo '{"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}}' >"$TMP/cfg"
	cf=$(blob "$TMP/cfg")
	printf '{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:%s", "size": %s}, "layers": [%s]}' \
		"$cf" "$(size "$cf")" "$ls" >"$TMP/mf"
	mf=$(blob "$TMP/mf")
	printf '{"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:%s", "size": %s, "annotations": {"org.opencontainers.image.ref.name": "1.0"}}]}' \
		"$mf" "$(size "$mf")" >"$oci/index.json"
	echo '{"imageLayoutVersion": "1.0.0"}' >"$oci/oci-layout"
}
blob() {	# blob FILE: moved into the layout; prints its digest
	d=$(sha256sum "$1" | cut -d' ' -f1)
	mv "$1" "$oci/blobs/sha256/$d"
	echo "$d"
}
size() { wc -c <"$oci/blobs/sha256/$1" | tr -d ' '; }
mkdir -p "$TMP/l2/etc"
tar -C "$img" -czf "$TMP/l1" .
echo two >"$TMP/l2/etc/layer2"
: >"$TMP/l2/etc/.wh.hostname"
tar -C "$TMP/l2" -cf "$TMP/l2.tar" .
mklayout "$TMP/images/ocimini" "$TMP/l1" "$TMP/l2.tar"
l1=$(jq -r '.layers[0].digest' "$oci/blobs/sha256/$mf" | cut -d: -f2)
tar -C "$oci" -cf "$TMP/images/ociarch.tar" .

ocistep='test ! -e /etc/hostname && test \"$(cat /etc/layer2)\" = two && test -x /bin/busybox && test -e base && echo >/etc/mine'
for ref in ocimini:1.0 ocimini ociarch:1.0; do
	printf '{"version": "1", "steps": [{"type": "command", "key": "o", "image": "%s", "builds_in": null, "eval": {"type": "cmd", "cmd": "%s"}}, {"type": "command", "key": "p", "builds_in": "o", "eval": {"type": "cmd", "cmd": "test -e /etc/mine && test ! -e /etc/hostname"}}]}' \
		"$ref" "$ocistep" >"$TMP/oci.json"
	run oci "$TMP/oci.json" --image-path "$TMP/images"
	checks=$((checks + 1))
	if ! grep -q '"event": *"run_finished".*"exit_code": *0' "$ws.events"; then
		fail "OCI image $ref: its layers in order, whiteouts honoured"
		tail -20 "$ws.out" >&2
	fi
done
check "an OCI image is unpacked once, by its manifest's digest" \
	test "$(ls "$TMP/store/images" | grep -c "^$mf\$")" -eq 1
printf '{"version": "1", "steps": [{"type": "command", "key": "o", "image": "ocimini:2.0", "builds_in": null, "eval": {"type": "cmd", "cmd": "true"}}]}' >"$TMP/oci2.json"
must_fail 66 "an OCI layout without the tag" run oci2 "$TMP/oci2.json" --image-path "$TMP/images"
check "says so" grep -q "has no image tagged '2.0'" "$ws.out"

# a chain in an image is cached like any other: the second run reuses
# every cacheable state (the image's identity is in the keys: a changed
# image runs them again); kept states are opened in their image with
# --shell, and --apply writes only their workspace part
cat >"$TMP/cache.json" <<'EOF2'
{"version": "1", "default_image": "mini", "steps": [
  {"type": "command", "key": "c1", "builds_in": null, "cache": {"policy": "forever", "env_keys": []}, "eval": {"type": "cmd", "cmd": "printf '#!/bin/sh\\necho tool\\n' >/usr/local/bin/tool && chmod +x /usr/local/bin/tool && echo one >c1"}},
  {"type": "command", "key": "c2", "builds_in": "c1", "cache": {"policy": "on_change", "paths": ["base"]}, "eval": {"type": "cmd", "cmd": "test \"$(tool)\" = tool && test -e c1 && echo two >c2 && rm base"}},
  {"type": "command", "key": "u", "builds_in": "c2", "eval": {"type": "cmd", "cmd": "test -e c1 && test -e c2 && test ! -e base && test \"$(tool)\" = tool"}}
]}
EOF2
passes() {	# passes DESC: the last run passed
	checks=$((checks + 1))
	if ! grep -q '"event": *"run_finished".*"exit_code": *0' "$ws.events"; then
		fail "$1"
		tail -20 "$ws.out" >&2
	fi
}
cached() { grep -c '"status": *"cached"' "$ws.events"; }
run cache "$TMP/cache.json" --image-path "$TMP/images" --store "$TMP/store-cache"
passes "a cacheable chain in an image, first run"
check "nothing cached yet" test "$(cached)" -eq 0
run cache "$TMP/cache.json" --image-path "$TMP/images" --store "$TMP/store-cache"
passes "a cacheable chain in an image, second run"
check "the second run reuses every cacheable state in the image" test "$(cached)" -eq 2
cp -a "$img" "$TMP/images/mini2"
touch "$TMP/images/mini2/etc/hostname"
sed 's/"mini"/"mini2"/' "$TMP/cache.json" >"$TMP/cache2.json"
run cache "$TMP/cache2.json" --image-path "$TMP/images" --store "$TMP/store-cache"
passes "the chain in a changed image"
check "a changed image runs the chain again" test "$(cached)" -eq 0
run cache "$TMP/cache2.json" --image-path "$TMP/images" --store "$TMP/store-cache"
check "and caches it under its own keys" test "$(cached)" -eq 2
run keep "$TMP/cache.json" --image-path "$TMP/images" --store "$TMP/store-cache" --keep=all --no-cache
passes "every state kept in an image"
out=$(cd "$ws" && echo 'cat /etc/hostname; tool; cat c1 c2; pwd; test -e base || echo nobase' | SHELL=/bin/bash "$HM_EXEC" --store "$TMP/store-cache" --shell c2 2>"$TMP/shell.err")
check "--shell opens a kept state in its image" test "$out" = "$(printf 'mini\ntool\none\ntwo\n/workspace\nnobase')"
check "and says so" grep -q "in its image" "$TMP/shell.err"
check "--shell in an image leaves no scratch layer or mount point" \
    test -z "$(ls "$TMP/store-cache/runs" | grep '^shell-')"
mkdir -p "$TMP/apply"
echo base >"$TMP/apply/base"
echo mine >"$TMP/apply/mine"
(cd "$TMP/apply" && "$HM_EXEC" --store "$TMP/store-cache" --apply c2)
check "--apply writes the workspace part of a state in an image" \
	test "$(cat "$TMP/apply/c1" "$TMP/apply/c2")" = "$(printf 'one\ntwo')"
check "with its deletions" test ! -e "$TMP/apply/base" -a -e "$TMP/apply/mine"
check "and nothing of the image's part" \
	test ! -e "$TMP/apply/usr" -a ! -e "$TMP/apply/workspace" -a ! -e "$TMP/apply/etc"

# a blob that is not what its descriptor says stops the run before it
# starts, naming the image and the blob: a byte changed, a byte added
bad="$TMP/bad/ocibad"
mkdir -p "$TMP/bad"
cp -a "$TMP/images/ocimini" "$bad"
printf '{"version": "1", "steps": [{"type": "command", "key": "o", "image": "ocibad", "builds_in": null, "eval": {"type": "cmd", "cmd": "true"}}]}' >"$TMP/bad.json"
chmod u+w "$bad/blobs/sha256/$l1"
printf 'X' | dd of="$bad/blobs/sha256/$l1" bs=1 seek=100 conv=notrunc 2>/dev/null
must_fail 66 "a layer whose content is not its digest" run bad "$TMP/bad.json" \
	--image-path "$TMP/bad" --store "$TMP/store-bad"
check "says which image and which blob" grep -q "image 'ocibad': blob '$bad/blobs/sha256/$l1' does not match its digest" "$ws.out"
check "before any step started" sh -c "! grep -qs step_started '$ws.events'"
check "and nothing is unpacked" sh -c "! ls '$TMP/store-bad/images/'*/rootfs 2>/dev/null"
printf 'X' >>"$bad/blobs/sha256/$l1"
must_fail 66 "a layer of another size" run bad "$TMP/bad.json" \
	--image-path "$TMP/bad" --store "$TMP/store-bad"
check "says so" grep -q "image 'ocibad': blob '$bad/blobs/sha256/$l1' is [0-9]* bytes, and its descriptor says" "$ws.out"

# layers that reach outside the root: a member '../', an absolute one;
# and a link an earlier layer made, which a later layer's file and
# whiteout must not go through
mkdir -p "$TMP/esc" "$TMP/outside"
echo victim >"$TMP/outside/victim"
echo x >"$TMP/esc/f"
tar -C "$TMP/esc" -cf "$TMP/dotdot.tar" --transform 's,^f,../escape,' f
tar -C "$TMP/esc" -cPf "$TMP/abs.tar" --transform 's,^f,/abs,' f
mkdir -p "$TMP/s1" "$TMP/s2/evil"
ln -s "$TMP/outside" "$TMP/s1/evil"
tar -C "$TMP/s1" -cf "$TMP/s1.tar" evil
echo pwned >"$TMP/s2/evil/pwned"
: >"$TMP/s2/evil/.wh.victim"
tar -C "$TMP/s2" -cf "$TMP/s2.tar" evil/pwned evil/.wh.victim
tar -C "$img" -cf "$TMP/base.tar" .
cp "$TMP/base.tar" "$TMP/base2.tar"
cp "$TMP/base.tar" "$TMP/base3.tar"
cp "$TMP/base.tar" "$TMP/base4.tar"
mklayout "$TMP/esc-img/dotdot" "$TMP/base.tar" "$TMP/dotdot.tar"
mklayout "$TMP/esc-img/abs" "$TMP/base2.tar" "$TMP/abs.tar"
mklayout "$TMP/esc-img/link" "$TMP/base3.tar" "$TMP/s1.tar" "$TMP/s2.tar"
# the same in one layer: a link, then a file under it (tar refuses it)
mkdir -p "$TMP/s3"
ln -s "$TMP/outside" "$TMP/s3/evil"
tar -C "$TMP/s3" -cf "$TMP/s3.tar" evil
rm "$TMP/s3/evil"
mkdir "$TMP/s3/evil"
echo pwned >"$TMP/s3/evil/pwned1"
tar -C "$TMP/s3" -rf "$TMP/s3.tar" evil/pwned1
mklayout "$TMP/esc-img/link1" "$TMP/base4.tar" "$TMP/s3.tar"
for e in dotdot abs link1; do
	printf '{"version": "1", "steps": [{"type": "command", "key": "o", "image": "%s", "builds_in": null, "eval": {"type": "cmd", "cmd": "true"}}]}' "$e" >"$TMP/esc.json"
	must_fail 66 "a layer with a member outside the root ($e)" run esc \
		"$TMP/esc.json" --image-path "$TMP/esc-img" --store "$TMP/store-esc"
	[ $e = link1 ] ||
	check "says which ($e)" grep -q "image '$e': layer '.*': member '.*' lies outside the root file system" "$ws.out"
done
check "nothing escaped" test ! -e "$TMP/store-esc/images/escape" -a ! -e "$TMP/abs" -a ! -e "$TMP/outside/pwned1"
printf '{"version": "1", "steps": [{"type": "command", "key": "o", "image": "link", "builds_in": null, "eval": {"type": "cmd", "cmd": "test \\"$(cat /evil/pwned)\\" = pwned"}}]}' >"$TMP/esc.json"
run esc "$TMP/esc.json" --image-path "$TMP/esc-img" --store "$TMP/store-esc"
checks=$((checks + 1))
if ! grep -q '"event": *"run_finished".*"exit_code": *0' "$ws.events"; then
	fail "a later layer's directory replaces an earlier layer's link"
	tail -20 "$ws.out" >&2
fi
check "a later layer's file does not go through an earlier layer's link" \
	test ! -e "$TMP/outside/pwned"
check "nor does its whiteout" test -e "$TMP/outside/victim"

# unpacked images are evicted like the cache, by age and size, but never
# while a run uses them
digest=$(jq -r '.manifests[0].digest' "$TMP/images/ocimini/index.json" | cut -d: -f2)
printf '{"version": "1", "steps": [{"type": "command", "key": "t", "builds_in": null, "eval": {"type": "cmd", "cmd": "true"}}]}' >"$TMP/trivial.json"
check "the image is in the store" test -d "$TMP/store/images/$digest/rootfs"
touch -d '40 days ago' "$TMP/store/images/$digest"
run trivial "$TMP/trivial.json" --store "$TMP/store"
check "an image unused for longer than --cache-max-age is evicted" \
	test ! -e "$TMP/store/images/$digest"
printf '{"version": "1", "steps": [{"type": "command", "key": "o", "image": "ocimini:1.0", "builds_in": null, "eval": {"type": "cmd", "cmd": "sleep 3"}}]}' >"$TMP/slow.json"
run slow "$TMP/slow.json" --image-path "$TMP/images" --store "$TMP/store" &
slow=$!
i=0
while ! grep -qs step_started "$TMP/ws/slow.events" && [ $i -lt 100 ]; do
	sleep 0.1; i=$((i + 1))
done
run trivial "$TMP/trivial.json" --store "$TMP/store" --cache-max-size 1
check "an image a run uses is not evicted" test -d "$TMP/store/images/$digest/rootfs"
wait $slow
ws="$TMP/ws/slow"
checks=$((checks + 1))
grep -q '"event": *"run_finished".*"exit_code": *0' "$ws.events" ||
	fail "the run that used it passed"
run trivial "$TMP/trivial.json" --store "$TMP/store" --cache-max-size 1
check "once no run uses it, --cache-max-size evicts it" \
	test ! -e "$TMP/store/images/$digest"

# unprivileged: a user made for the test, mapped to uid 0 in the image
if [ "$(id -u)" -eq 0 ] && command -v useradd >/dev/null 2>&1; then
	user=hm-image-test
	made=
	if ! id "$user" >/dev/null 2>&1; then
		useradd -M -r -s /bin/sh "$user" && made=1
	fi
	u="$TMP/user"
	mkdir -p "$u/ws" "$u/bin"
	cp "$TOP/$O/hm-exec" "$TOP/$O/hm-sandbox" "$u/bin/"
	cp -a "$TMP/images" "$u/"
	cp "$TMP/img.json" "$u/"
	echo base >"$u/ws/base"
	chmod 755 "$TMP"
	chown -R "$user:" "$u"
	if su -s /bin/sh "$user" -c "'$u/bin/hm-sandbox' -C '$u' --probe '$u'" >"$TMP/uprobe" 2>&1; then
		su -s /bin/sh "$user" -c "cd '$u/ws' && HOME='$u' '$u/bin/hm-exec' --isolate=overlay --store '$u/store' --image-path '$u/images' --events '$u/events' '$u/img.json'" >"$TMP/user.out" 2>&1
		checks=$((checks + 1))
		if ! grep -q '"event": *"run_finished".*"exit_code": *0' "$u/events"; then
			fail "as an unprivileged user, mapped to uid 0 in the image"
			tail -30 "$TMP/user.out" >&2
		fi
	else
		echo "SKIP: unprivileged user namespaces refused: $(cat "$TMP/uprobe")" >&2
	fi
	[ -n "$made" ] && userdel "$user"
fi
finish
