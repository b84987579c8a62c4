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
oci="$TMP/images/ocimini"
mkdir -p "$oci/blobs/sha256" "$TMP/l2/etc"
blob() {	# blob FILE: moved into the layout; prints its digest
	d=$(sha256sum "$1" | cut -d' ' -f1)
	mv "$1" "$oci/blobs/sha256/$d"
	echo "$d"
}
size() { wc -c <"$oci/blobs/sha256/$1" | tr -d ' '; }
tar -C "$img" -czf "$TMP/l1" .
echo two >"$TMP/l2/etc/layer2"
: >"$TMP/l2/etc/.wh.hostname"
tar -C "$TMP/l2" -cf "$TMP/l2.tar" .
l1=$(blob "$TMP/l1")
l2=$(blob "$TMP/l2.tar")
echo '{"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}}' >"$TMP/cfg"
cf=$(blob "$TMP/cfg")
printf '{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:%s", "size": %s}, "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": "sha256:%s", "size": %s}, {"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": "sha256:%s", "size": %s}]}' \
	"$cf" "$(size "$cf")" "$l1" "$(size "$l1")" "$l2" "$(size "$l2")" >"$TMP/mf"
mf=$(blob "$TMP/mf")
printf '{"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:%s", "size": %s, "annotations": {"org.opencontainers.image.ref.name": "1.0"}}]}' \
	"$mf" "$(size "$mf")" >"$oci/index.json"
echo '{"imageLayoutVersion": "1.0.0"}' >"$oci/oci-layout"
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
