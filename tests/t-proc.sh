#!/bin/sh
# hm: the one process API at work in both tools: what a step leaves
# behind is killed (TERM, KILL after --grace) whether or not it holds the
# output pipe, and what escaped its group (setsid) is killed by hm-exec
# as subreaper before it exits, with a message; hm-bake's commands get
# no descriptor of hm-bake's, so a predicate that starts a daemon
# returns at once.
. "$(dirname "$0")/lib.sh"
cd "$TMP" || exit 1
X="$HM_EXEC"

alive() {
	s=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
	case $s in Z*) return 1 ;; esac
	return 0
}

# A background child that ignores TERM and closed its output: it must
# be gone when hm-exec has exited, and hm-exec says so.
cat >left.json <<'EOF'
{"version":"1","steps":[
 {"type":"command","key":"x","eval":{"type":"cmd","cmd":"(trap '' TERM; : >ready; exec sleep 60) >/dev/null 2>&1 & echo $! >bg.pid; while [ ! -e ready ]; do sleep 0.01; done"},"builds_in":null}
]}
EOF
"$X" --grace 1 --log-dir logs left.json >left.out 2>left.err
st=$?
check "left: the run passed ($st)" test "$st" -eq 0
pid=$(cat bg.pid)
check "left: the TERM-ignoring child is gone" sh -c "! ps -o stat= -p $pid | grep -qv Z"
check "left: said so" grep -q "warning: step 'x' left 1 processes behind: killed" left.err

# A child that left the step's group (setsid) is killed at the end.
command -v setsid >/dev/null 2>&1 && {
cat >esc.json <<'EOF'
{"version":"1","steps":[
 {"type":"command","key":"esc","eval":{"type":"cmd","cmd":"setsid sh -c 'echo $$ >esc.pid; exec sleep 60' >/dev/null 2>&1 & sleep 0.5"},"builds_in":null}
]}
EOF
"$X" --grace 1 --log-dir logs esc.json >esc.out 2>esc.err
st=$?
check "escaped: the run passed ($st)" test "$st" -eq 0
pid=$(cat esc.pid)
check "escaped: the setsid child is gone" sh -c "! ps -o stat= -p $pid | grep -qv Z"
check "escaped: said so" grep -q "step 'esc' left 1 processes behind: killed" esc.err
}

# A step whose background child dies on TERM: nothing to say, and the
# run does not wait for the grace.
cat >quiet.json <<'EOF'
{"version":"1","steps":[
 {"type":"command","key":"q","eval":{"type":"cmd","cmd":"sleep 60 >/dev/null 2>&1 &"},"builds_in":null}
]}
EOF
t0=$(date +%s)
"$X" --grace 20 --log-dir logs quiet.json >quiet.out 2>quiet.err
t1=$(date +%s)
check "quiet: passed quickly" test $((t1 - t0)) -lt 10
check "quiet: nothing said" sh -c "! grep -q 'behind' quiet.err"

# hm-bake: the predicate starts a daemon (its own session) holding
# whatever descriptors it got, and returns at once; the bake must not
# wait for the daemon.
cat >def.yml <<'EOF'
targets:
  t:
    steps:
      - if:
          - {sh: "setsid sh -c 'echo $$ >d.tmp; mv d.tmp daemon.pid; exec sleep 30' & while [ ! -e daemon.pid ]; do sleep 0.01; done", timeout: 20s, then: [{sh: echo yes}]}
pipelines:
  ci: [t]
EOF
t0=$(date +%s)
"$HM_BAKE" def.yml >def.json 2>def.err
st=$?
t1=$(date +%s)
check "bake: the predicate's daemon did not hold the bake ($st, $((t1 - t0))s)" test "$st" -eq 0 -a $((t1 - t0)) -lt 10
check "bake: the predicate held" grep -q '"echo yes"' def.json
[ -s daemon.pid ] && kill "$(cat daemon.pid)" 2>/dev/null
# the descriptors a generator gets: 0, 1 and 2, and what the test
# itself was started with, nothing of hm-bake's
cat >fds.yml <<'EOF'
targets:
  t:
    steps:
      - generate: "ls -l /proc/$$/fd >&2; n=$(ls /proc/$$/fd | wc -l); printf '[{sh: echo %s}]' $n"
pipelines:
  ci: [t]
EOF
if [ -d /proc/self/fd ]; then
	"$HM_BAKE" fds.yml >fds.json 2>fds.err
	mine=$(sh -c 'n=$(ls /proc/$$/fd | wc -l); echo $n')
	# on a failure, the generator's descriptors (fds.err) and ours
	check "bake: the generator got our descriptors only ($(grep -o 'echo [0-9]*' fds.json), here $mine): $(cat fds.err; ls -l /proc/$$/fd)" \
	    grep -q "\"echo $mine\"" fds.json
fi
finish
