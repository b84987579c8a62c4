#!/bin/sh
# hm: hm-exec against hostile input and a careless environment (issue 9):
# secret values masked everywhere it writes, logs private and never
# written through a link, a log directory it cannot use fails the run
# before anything starts, labels cannot drive the terminal, and write
# errors on --events or --junit are reported with 74.
. "$(dirname "$0")/lib.sh"
cd "$TMP" || exit 1
X="$HM_EXEC"
umask 022

# 1. a secret_env value, printed whole, in two writes and across a line,
# never reaches the terminal, the log, the events or the JUnit report; a
# value under 6 bytes is not masked
cat >secret.json <<'JSON'
{"version":"1","steps":[
 {"type":"command","key":"leak","label":"leak","builds_in":null,
  "eval":{"type":"cmd","cmd":"echo token=$TOKEN; printf 'half:s3cr'; sleep 0.2; printf 'et-v4lue\\n'; echo \"pin=$PIN\"; exit 3"},
  "secret_env":["TOKEN","PIN"]}]}
JSON
TOKEN=s3cret-v4lue PIN=1234 "$X" -v --log-dir logs --events ev.jsonl \
    --junit junit.xml secret.json >out 2>&1
check "secret run fails as its step does" test $? -eq 1
for f in out logs/leak.log ev.jsonl junit.xml; do
	check "no secret in $f" sh -c "! grep -q 's3cret-v4lue\|s3cr.*et-v4lue' $f"
done
check "masked on the terminal" grep -q 'token=\*\*\*' out
check "masked when split across writes" grep -q 'half:\*\*\*' logs/leak.log
check "a short value is not masked" grep -q 'pin=1234' logs/leak.log

# 2. logs are 0600 in a directory made 0700
check "log 0600" test "$(stat -c %a logs/leak.log)" = 600
check "log dir 0700" test "$(stat -c %a logs)" = 700

# 3. a planted symbolic link at a log's name is not followed
mkdir -p -m 700 planted
echo precious >precious
ln -s ../precious planted/leak.log
TOKEN=x "$X" --log-dir planted secret.json >out 2>&1
check "the link's target is untouched" test "$(cat precious)" = precious

# 4. a log directory that cannot be used fails the run before it starts
cat >marker.json <<'JSON'
{"version":"1","steps":[{"type":"command","key":"m","builds_in":null,
  "eval":{"type":"cmd","cmd":"touch ran"}}]}
JSON
echo >notadir
must_fail 74 "--log-dir a regular file" "$X" --log-dir notadir marker.json >/dev/null 2>err
check "nothing ran" test ! -e ran
check "says why" grep -q "cannot use log directory 'notadir': it is not a directory" err
mkdir -m 777 open && chmod 777 open
must_fail 74 "--log-dir writable by others" "$X" --log-dir open marker.json >/dev/null 2>err
check "says why (others)" grep -q "it is writable by others" err
check "nothing ran (others)" test ! -e ran

# 5. a label cannot set the title, clear the screen or forge a line
printf '{"version":"1","steps":[{"type":"command","key":"t","label":"\\u001b]0;owned\\u0007\\u001b[2J\\rok all passed","builds_in":null,"eval":{"type":"cmd","cmd":"true"}}]}\n' >label.json
"$X" --log-dir l5 label.json >out 2>&1
check "label run passes" test $? -eq 0
check "no escape byte printed" sh -c "! grep -q \"\$(printf '\\033')\" out"
check "no bell printed" sh -c "! grep -q \"\$(printf '\\007')\" out"
check "the label shown escaped" grep -q 'x1b\]0;owned' out

# 6. write errors: --events on a full disk, --junit through a link
if [ -w /dev/full ]; then
	must_fail 74 "--events /dev/full" "$X" --log-dir l6 --events /dev/full marker.json >/dev/null 2>err
	check "events error named" grep -q "cannot write events to '/dev/full'" err
fi
echo keep >junit-target
ln -s junit-target junit-link
must_fail 74 "--junit through a symbolic link" "$X" --log-dir l7 --junit junit-link marker.json >/dev/null 2>&1
check "junit link's target untouched" grep -qx keep junit-target
check "junit link kept" test -L junit-link
mkfifo junit-fifo
timeout 20 cat junit-fifo >junit-from-fifo &
"$X" --log-dir l8 --junit junit-fifo marker.json >/dev/null 2>&1
wait
check "junit FIFO still a FIFO" test -p junit-fifo
check "junit came through the FIFO" grep -q '<testsuite' junit-from-fifo
finish
