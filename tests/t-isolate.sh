#!/bin/sh
# hm: what builds_in means with isolation, on real files: forks do not
# see each other; join sees the group's start state; continue_in sees that
# member's state through nested groups; each replica sees its leaf; a
# retry does not see the failed attempt; a soft-failed state continues; a
# dynamic fragment continues in the placeholder's state (and the baker
# sees it read-only); a setsid daemon does not outlive its step; a chain
# of 500 steps; the workspace is never changed; runner: host opts out;
# kept states, --shell and --apply; the cache. Run with --isolate=overlay
# and --isolate=copy, as root and as an unprivileged user made here.
# ISOLATE=copy runs one mode only (the unprivileged rerun uses it).
. "$(dirname "$0")/lib.sh"

# as root, overlay and copies must work (a mount namespace is all they
# need): a failed probe is a failure, not a reason to skip
if ! "$TOP/$O/hm-sandbox" -C "$TMP" --probe "$TMP" >"$TMP/probe" 2>&1 &&
	[ -z "${ISOLATE:-}" ]; then
	if [ "$(id -u)" -eq 0 ]; then
		fail "as root, hm-sandbox --probe fails: $(cat "$TMP/probe")"
	else
		echo "SKIP: no overlay in namespaces here: $(cat "$TMP/probe")" >&2
	fi
	finish
fi

cmd() {	# cmd KEY BUILDS_IN CMD [EXTRA]: one command step
	b=null
	[ "$2" != - ] && b="\"$2\""
	printf '{"type": "command", "key": "%s", "eval": {"type": "cmd", "cmd": "%s"}, "builds_in": %s%s}' \
		"$1" "$3" "$b" "${4:-}"
}

# run MODE NAME DOC [ARGS]: run DOC (a file) in a fresh workspace
run() {
	mode=$1 name=$2 doc=$3; shift 3
	ws="$TMP/$mode/$name"
	rm -rf "$ws"
	mkdir -p "$ws"
	echo base >"$ws/base"
	(cd "$ws" && "$HM_EXEC" --isolate="$mode" --store "$TMP/store-$mode" \
		--events "$ws.events" "$@" "$doc") >"$ws.out" 2>&1
}

passes() {	# passes DESC: the last run passed
	checks=$((checks + 1))
	if ! grep -q '"event": *"run_finished".*"exit_code": *0' "$ws.events"; then
		fail "$mode: $1"
		tail -20 "$ws.out" >&2
	fi
}

chain() {	# chain N: N steps, each continuing in the one before
	awk -v n="$1" 'BEGIN {
		print "{\"version\": \"1\", \"steps\": ["
		for (i = 1; i <= n; i++)
			printf "{\"type\": \"command\", \"key\": \"s%d\", \"eval\": {\"type\": \"cmd\", \"cmd\": \"echo %d >>chain; test $(wc -l <chain) = %d\"}, \"builds_in\": %s}%s\n", i, i, i, i == 1 ? "null" : "\"s" (i - 1) "\"", i < n ? "," : ""
		print "]}"
	}'
}

suite() {
	m=$1
	d="$TMP/docs-$m"
	mkdir -p "$d"

	# forks
	{
		echo '{"version": "1", "steps": ['
		cmd a - 'echo a >f'; echo ,
		cmd b a 'echo b >fb; sleep 1; test ! -e fc'; echo ,
		cmd c a 'echo c >fc; sleep 1; test ! -e fb && test -e f && test -e base'
		echo ']}'
	} >"$d/fork.json"
	run "$m" fork "$d/fork.json" -j2
	passes "forks do not see each other"
	check "$m: the workspace is unchanged" test ! -e "$ws/f" -a ! -e "$ws/fb"

	# join, continue_in through nested groups, each
	cat >"$d/groups.json" <<'EOF'
{"version": "1", "steps": [
  {"type": "command", "key": "a", "eval": {"type": "cmd", "cmd": "echo a >f"}, "builds_in": null},
  {"type": "group", "key": "j", "builds_in": "a", "continue": "join", "steps": [
    {"type": "command", "key": "j1", "eval": {"type": "cmd", "cmd": "echo >j1"}, "builds_in": null},
    {"type": "command", "key": "j2", "eval": {"type": "cmd", "cmd": "echo >j2"}, "builds_in": null}
  ]},
  {"type": "command", "key": "after-join", "eval": {"type": "cmd", "cmd": "test -e f && test ! -e j1 && test ! -e j2"}, "builds_in": "j"},
  {"type": "group", "key": "o", "builds_in": "a", "continue_in": "o2", "steps": [
    {"type": "group", "key": "o2", "continue_in": "x", "steps": [
      {"type": "command", "key": "x", "eval": {"type": "cmd", "cmd": "echo >x"}, "builds_in": null},
      {"type": "command", "key": "z", "eval": {"type": "cmd", "cmd": "echo >z"}, "builds_in": null}
    ]},
    {"type": "command", "key": "y", "eval": {"type": "cmd", "cmd": "echo >y"}, "builds_in": null}
  ]},
  {"type": "command", "key": "after-in", "eval": {"type": "cmd", "cmd": "test -e f && test -e x && test ! -e z && test ! -e y"}, "builds_in": "o"},
  {"type": "group", "key": "e", "builds_in": "a", "continue": "each", "steps": [
    {"type": "command", "key": "l1", "eval": {"type": "cmd", "cmd": "echo >l1"}, "builds_in": null},
    {"type": "command", "key": "l2", "eval": {"type": "cmd", "cmd": "echo >l2"}, "builds_in": null}
  ]},
  {"type": "command", "key": "per-leaf", "eval": {"type": "cmd", "cmd": "test \"$(ls l?)\" = \"${HM_STEP_KEY#*@}\" && test -e f"}, "builds_in": "e"}
]}
EOF
	run "$m" groups "$d/groups.json"
	passes "join, continue_in through nested groups, each"

	# a retry starts from the parent's state; a soft-failed state continues
	{
		echo '{"version": "1", "steps": ['
		cmd a - 'echo a >f'; echo ,
		cmd r a 'test ! -e mark || exit 7; echo >mark; test $HM_ATTEMPT = 2' ', "retry": 1'; echo ,
		cmd s a 'echo s >s; exit 1' ', "soft_fail": true'; echo ,
		cmd t s 'test -e s && test -e f'
		echo ']}'
	} >"$d/retry.json"
	run "$m" retry "$d/retry.json"
	passes "a retry does not see the failed attempt; soft-failed state continues"

	# a dynamic step: the baker sees the placeholder's start state, read
	# only; the fragment continues in it
	cat >"$d/baker" <<'EOF'
#!/bin/sh
test -e f || { echo "baker: no f" >&2; exit 1; }
if touch written 2>/dev/null; then echo "baker: could write" >&2; exit 1; fi
echo '{"version": "1", "steps": [{"type": "command", "key": "p/x", "eval": {"type": "cmd", "cmd": "test -e f && echo >px"}, "builds_in": null}]}'
EOF
	chmod +x "$d/baker"
	# the definition the run copies at its start (the stub baker ignores it)
	echo 'targets: {}' >"$d/none.yml"
	cat >"$d/dyn.json" <<'EOF'
{"version": "1", "source": {"definition": "none.yml"}, "steps": [
  {"type": "command", "key": "a", "eval": {"type": "cmd", "cmd": "echo a >f"}, "builds_in": null},
  {"type": "command", "key": "p", "eval": {"type": "dynamic", "target_name": "p"}, "builds_in": "a"},
  {"type": "command", "key": "q", "eval": {"type": "cmd", "cmd": "test -e px && test -e f"}, "builds_in": "p"}
]}
EOF
	run "$m" dyn "$d/dyn.json" --bake "$d/baker"
	passes "a dynamic fragment continues in the placeholder's state"

	# a daemon that leaves the process group dies with its step
	rm -f "$TMP/leak-$m" "$TMP/up-$m"
	{
		echo '{"version": "1", "steps": ['
		# (the step waits until the daemon is in its own session)
		cmd d - "setsid sh -c 'echo >$TMP/up-$m; sleep 1; echo leak >$TMP/leak-$m' </dev/null >/dev/null 2>&1 & while ! test -e $TMP/up-$m; do sleep 0.1; done"
		echo ,
		cmd after d "sleep 2; test ! -e $TMP/leak-$m"
		echo ']}'
	} >"$d/daemon.json"
	run "$m" daemon "$d/daemon.json"
	passes "a setsid daemon does not outlive its step (the next step looks)"
	sleep 1
	check "$m: nor the run" test ! -e "$TMP/leak-$m"

	# 500 steps, each continuing in the one before (fewer in the
	# unprivileged rerun: the same code, and CI's time)
	chain "${CHAIN:-500}" >"$d/chain.json"
	run "$m" chain "$d/chain.json"
	passes "${CHAIN:-500} steps in a chain"
	if [ "$m" = overlay ]; then
		# every state kept: no folding, so past 64 layers a view's
		# parents are flattened
		chain 100 >"$d/chain100.json"
		run "$m" keepall "$d/chain100.json" --keep=all
		passes "100 steps with every state kept"
	fi

	# runner: host writes the workspace; kept states, --apply, --shell
	{
		echo '{"version": "1", "steps": ['
		cmd h - 'echo >on-host' ', "runner": "host"'; echo ,
		cmd k - 'echo kept >out; rm base; exit 1'
		echo ']}'
	} >"$d/keep.json"
	run "$m" keep "$d/keep.json" -k
	check "$m: runner: host changes the workspace" test -e "$ws/on-host"
	check "$m: an isolated step does not" test ! -e "$ws/out"
	out=$(cd "$ws" && echo 'cat out' | SHELL=/bin/sh "$HM_EXEC" --store "$TMP/store-$m" --shell k 2>/dev/null)
	check "$m: --shell opens the failed step's state" test "$out" = kept
	check "$m: --shell leaves no scratch layer" \
	    test -z "$(ls "$TMP/store-$m/runs" | grep '^shell-')"
	(cd "$ws" && echo 'echo changed >out; exit 7' | SHELL=/bin/sh \
	    "$HM_EXEC" --store "$TMP/store-$m" --shell k 2>/dev/null)
	check "$m: --shell exits as its shell did" test $? -eq 7
	out=$(cd "$ws" && echo 'cat out' | SHELL=/bin/sh "$HM_EXEC" --store "$TMP/store-$m" --shell k 2>/dev/null)
	check "$m: what a shell changed is thrown away" test "$out" = kept
	(cd "$ws" && "$HM_EXEC" --store "$TMP/store-$m" --apply k)
	check "$m: --apply writes it into the workspace" test "$(cat "$ws/out")" = kept
	check "$m: --apply deletes what the step deleted" test ! -e "$ws/base"

	# the cache: the second run reuses the cached states
	{
		echo '{"version": "1", "steps": ['
		cmd c1 - "echo >>$TMP/count-$m; echo one >c1" ', "cache": {"policy": "forever", "env_keys": []}'; echo ,
		cmd c2 c1 "echo >>$TMP/count-$m; test -e c1 && echo >c2" ', "cache": {"policy": "on_change", "paths": ["base"]}'; echo ,
		cmd u c2 'test -e c1 && test -e c2'
		echo ']}'
	} >"$d/cache.json"
	rm -f "$TMP/count-$m"
	run "$m" cache "$d/cache.json"
	passes "cacheable steps, first run"
	run "$m" cache "$d/cache.json"
	passes "cacheable steps, second run"
	check "$m: the second run ran no cached step" test "$(wc -l <"$TMP/count-$m")" -eq 2
	check "$m: they are reported cached" test "$(grep -c '"status": *"cached"' "$ws.events")" -eq 2
	run "$m" cache "$d/cache.json" --no-cache
	check "$m: --no-cache runs them" test "$(wc -l <"$TMP/count-$m")" -eq 4
}

if [ -n "${ISOLATE:-}" ]; then
	suite "$ISOLATE"
	finish
fi
suite overlay
suite copy
# auto takes the best mode that works: as root, overlay, without a word
run auto fork "$TMP/docs-overlay/fork.json" -j2
passes "auto: forks do not see each other"
if [ "$(id -u)" -eq 0 ]; then
	check "as root, auto chooses overlay silently" \
		sh -c "! grep -q isolation: '$ws.out'"
fi

# a store another user could write to is refused before anything is
# written there: nobody else may plant a link where the store writes
mkdir -p "$TMP/open-store" "$TMP/ws-open"
chmod 777 "$TMP/open-store"
must_fail 74 "a store writable by others is refused" sh -c "cd '$TMP/ws-open' && '$HM_EXEC' --isolate=auto --store '$TMP/open-store' '$TMP/docs-overlay/fork.json' 2>'$TMP/open.err'"
check "and says why" grep -q "the store '$TMP/open-store' is writable by others" "$TMP/open.err"
check "nothing was written there" test -z "$(ls -A "$TMP/open-store")"

# unprivileged: a user made for the test
if [ "$(id -u)" -eq 0 ] && command -v useradd >/dev/null 2>&1; then
	user=hm-isolate-test
	made=
	if ! id "$user" >/dev/null 2>&1; then
		useradd -M -r -s /bin/sh "$user" && made=1
	fi
	u="$TMP/user"
	mkdir -p "$u/bin" "$u/tests"
	cp "$TOP/$O/hm-exec" "$TOP/$O/hm-sandbox" "$u/bin/"
	cp "$TOP/tests/t-isolate.sh" "$TOP/tests/lib.sh" "$u/tests/"
	chmod 755 "$TMP"
	chown -R "$user:" "$u"
	if su -s /bin/sh "$user" -c "'$u/bin/hm-sandbox' -C '$u' --probe '$u'" >"$TMP/uprobe" 2>&1; then
		for mode in overlay copy; do
			su -s /bin/sh "$user" -c "cd '$u' && HOME='$u' TMPDIR='$u' ISOLATE=$mode CHAIN=100 O=bin sh tests/t-isolate.sh"
			check "the $mode suite passes as an unprivileged user" test $? -eq 0
		done
		# a file of another user in the workspace cannot be changed
		# (overlay) or keep its owner (copy) without root: said
		# before the run, naming it; its owner stays
		ow="$u/own"
		mkdir -p "$ow/sub"
		echo x >"$ow/sub/rootfile"
		printf '{"version": "1", "steps": [{"type": "command", "key": "r", "builds_in": null, "eval": {"type": "cmd", "cmd": "cat sub/rootfile"}}]}' >"$u/own.json"
		chown -R "$user:" "$ow" "$u/own.json"
		chown root: "$ow/sub/rootfile"
		for mode in overlay copy; do
			su -s /bin/sh "$user" -c "cd '$ow' && HOME='$u' '$u/bin/hm-exec' --isolate=$mode --store '$u/store-own' '$u/own.json'" >"$TMP/own-$mode.out" 2>&1
			check "$mode: a file of another user in the workspace is named before the run" \
				grep -q "warning: 'sub/rootfile' in the workspace belongs to uid 0" "$TMP/own-$mode.out"
		done
		check "and it still belongs to its owner" test "$(stat -c %u "$ow/sub/rootfile")" = 0
	else
		echo "SKIP: unprivileged user namespaces refused: $(cat "$TMP/uprobe")" >&2
	fi
	[ -n "$made" ] && userdel "$user"
fi
finish
