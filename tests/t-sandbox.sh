#!/bin/sh
# hm: hm-sandbox on real files: an overlay view over the workspace, its
# whiteouts, read-only views, the log directory bound through, copies,
# 500 layers, a setsid daemon that does not outlive its command, exit
# statuses and signals relayed, and all of it again as an unprivileged
# user (created here) when we are root.
. "$(dirname "$0")/lib.sh"
SB="${HM_SANDBOX:-$TOP/$O/hm-sandbox}"

if ! "$SB" -C "$TMP" --probe "$TMP" >"$TMP/probe" 2>&1; then
	echo "SKIP: no overlay in namespaces here: $(cat "$TMP/probe")" >&2
	finish
fi

# suite DIR: every check, with DIR as the scratch directory
suite() {
	d=$1
	mkdir -p "$d/ws/logs" "$d/u1" "$d/w1" "$d/u2" "$d/w2"
	echo base >"$d/ws/a"
	mkdir "$d/ws/dir" && echo x >"$d/ws/dir/f"

	"$SB" -C "$d/ws" --upper "$d/u1" --work "$d/w1" --bind "$d/ws/logs" -- \
		sh -c 'echo one >a; rm -r dir; echo new >n; echo out >>logs/l'
	check "overlay: the command passed" test $? -eq 0
	check "overlay: the workspace is unchanged" test "$(cat "$d/ws/a")" = base
	check "overlay: the workspace keeps what was deleted" test -f "$d/ws/dir/f"
	check "overlay: the change is in the layer" test "$(cat "$d/u1/a")" = one
	check "overlay: the deletion is a whiteout" test -c "$d/u1/dir"
	check "overlay: the bound log directory was written" test "$(cat "$d/ws/logs/l")" = out
	check "overlay: nothing of it in the layer" test ! -e "$d/u1/logs"

	out=$("$SB" -C "$d/ws" --lower "$d/u1" --upper "$d/u2" --work "$d/w2" -- \
		sh -c 'cat a n; test -e dir || echo nodir')
	check "a child sees its parent's layer" test "$out" = "one
new
nodir"
	"$SB" -C "$d/ws" --lower "$d/u1" -- sh -c 'echo x >a' 2>/dev/null
	check "a read-only view refuses writes" test $? -ne 0
	"$SB" -C "$d/ws" -- sh -c 'echo x >a' 2>/dev/null
	check "a read-only view of the workspace alone refuses writes" test $? -ne 0

	must_fail 3 "the command's status is relayed" \
		"$SB" -C "$d/ws" --upper "$d/u2" --work "$d/w2" -- sh -c 'exit 3'
	"$SB" -C "$d/ws" --no-pid -- sh -c 'kill -TERM $$'
	check "death by a signal is relayed (no PID namespace)" test $? -eq 143
	"$SB" -C "$d/ws" -- sh -c 'kill -TERM $$'
	check "death by a signal is relayed" test $? -eq 143
	"$SB" -C "$d/ws" --upper "$d/nope" --work "$d/w2" -- true 2>"$d/err"
	check "a sandbox that cannot be set up exits 125" test $? -eq 125
	check "and says why" grep -q "cannot mount the overlay" "$d/err"
	"$SB" -C "$d/ws" -- /no/such/command 2>/dev/null
	check "a command that does not exist exits 127" test $? -eq 127

	# a daemon that leaves the process group dies with the command
	rm -f "$d/leak"
	"$SB" -C "$d/ws" -- sh -c "setsid sh -c 'sleep 1; echo leaked >$d/leak' \
		</dev/null >/dev/null 2>&1 & echo started" >/dev/null
	sleep 2
	check "a setsid daemon does not outlive its command" test ! -e "$d/leak"

	# 500 layers: 499 stacked on the workspace
	i=0
	lowers=""
	while [ $i -lt 499 ]; do
		mkdir -p "$d/L/$i"
		echo $i >"$d/L/$i/f$((i % 7))"
		lowers="--lower $d/L/$i $lowers"
		i=$((i + 1))
	done
	# shellcheck disable=SC2086
	out=$("$SB" -C "$d/ws" $lowers -- sh -c 'cat f0 f6')
	check "499 layers and the workspace" test "$out" = "497
496"

	# copies: made, moved, bound at the workspace's path
	"$SB" -C "$d/ws" --copy "$d/c1" --from "$d/ws" -- sh -c 'echo c >a; pwd >p'
	check "copy: the workspace is unchanged" test "$(cat "$d/ws/a")" = base
	check "copy: the change is in the copy" test "$(cat "$d/c1/a")" = c
	check "copy: the path is the workspace's" test "$(cat "$d/c1/p")" = "$d/ws"
	"$SB" -C "$d/ws" --copy "$d/c2" --from "$d/c1" --move -- sh -c 'cat a >b'
	check "copy: moved" test ! -e "$d/c1" -a "$(cat "$d/c2/b")" = c
	"$SB" -C "$d/ws" --copy "$d/c2" --read-only -- sh -c 'cat b; echo x >b' \
		>"$d/ro" 2>/dev/null
	check "copy: a read-only view reads and refuses writes" \
		test $? -ne 0 -a "$(cat "$d/ro")" = c -a "$(cat "$d/c2/b")" = c
	"$SB" -C "$d/ws" --copy "$d/c3" --from "$d/c2" --no-ns -- sh -c 'pwd >p'
	check "copy without namespaces runs in the copy" test "$(cat "$d/c3/p")" = "$d/c3"
}

if [ -n "${HM_SANDBOX_SUITE:-}" ]; then
	# the unprivileged run below
	suite "$HM_SANDBOX_SUITE"
	finish
fi
suite "$TMP/root"

# unprivileged: a user made for the test, mapped to itself
if [ "$(id -u)" -eq 0 ] && command -v useradd >/dev/null 2>&1; then
	user=hm-sandbox-test
	made=
	if ! id "$user" >/dev/null 2>&1; then
		useradd -M -r -s /bin/sh "$user" && made=1
	fi
	chmod 755 "$TMP"
	mkdir "$TMP/user"
	cp "$SB" "$TMP/hm-sandbox"
	cp "$TOP/tests/t-sandbox.sh" "$TOP/tests/lib.sh" "$TMP/"
	chown -R "$user:" "$TMP/user"
	if su -s /bin/sh "$user" -c "'$TMP/hm-sandbox' -C '$TMP/user' --probe '$TMP/user'" \
		>"$TMP/uprobe" 2>&1; then
		su -s /bin/sh "$user" -c "HM_SANDBOX_SUITE='$TMP/user/s' HM_SANDBOX='$TMP/hm-sandbox' sh '$TMP/t-sandbox.sh'"
		check "the suite passes as an unprivileged user" test $? -eq 0
	else
		echo "SKIP: unprivileged user namespaces refused: $(cat "$TMP/uprobe")" >&2
	fi
	[ -n "$made" ] && userdel "$user"
fi
finish
