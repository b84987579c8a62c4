#!/bin/sh
# hm: result files are never redirected or replaced (issue 9, item 4):
# hm-lower -o writes a device or a FIFO in place, refuses a symbolic
# link, keeps an existing file's mode, gives a new file 0666 less the
# umask and leaves no temporary file behind.
. "$(dirname "$0")/lib.sh"
cd "$TOP" || exit 1
in=testdata/lower/groups-continuation.in.json
"$HM_LOWER" $in >"$TMP/want"
umask 022

# a FIFO is written in place, not replaced by a regular file
mkfifo "$TMP/fifo"
timeout 20 cat "$TMP/fifo" >"$TMP/from-fifo" &
reader=$!
must_fail 0 "-o FIFO" "$HM_LOWER" -o "$TMP/fifo" $in
wait $reader
check "the FIFO is still a FIFO" test -p "$TMP/fifo"
same "$TMP/want" "$TMP/from-fifo" "what came through the FIFO"

# a character device too (a copy of /dev/null's node, made as root)
if [ "$(id -u)" = 0 ] && mknod "$TMP/null" c 1 3 2>/dev/null; then
	must_fail 0 "-o character device" "$HM_LOWER" -o "$TMP/null" $in
	check "the device node is still a device" test -c "$TMP/null"
fi

# a symbolic link to a file is refused (74), and neither changes
echo precious >"$TMP/target"
ln -s target "$TMP/link"
must_fail 74 "-o symbolic link" "$HM_LOWER" -o "$TMP/link" $in 2>"$TMP/err"
check "refusal says why" grep -q "^hm-lower: cannot write $TMP/link: it is a symbolic link" "$TMP/err"
check "link kept" test -L "$TMP/link"
check "its target untouched" grep -qx precious "$TMP/target"
ln -s nowhere "$TMP/dangling"
must_fail 74 "-o dangling link" "$HM_LOWER" -o "$TMP/dangling" $in 2>/dev/null
check "nothing created through a dangling link" test ! -e "$TMP/nowhere"
mkdir "$TMP/dir"
must_fail 74 "-o directory" "$HM_LOWER" -o "$TMP/dir" $in 2>/dev/null

# a new file: 0666 less the umask; an existing one keeps its mode
must_fail 0 "-o new file" "$HM_LOWER" -o "$TMP/new.json" $in
check "new file 0644 under umask 022" test "$(stat -c %a "$TMP/new.json")" = 644
same "$TMP/want" "$TMP/new.json" "-o new file content"
echo old >"$TMP/secret.json"
chmod 600 "$TMP/secret.json"
must_fail 0 "-o existing file" "$HM_LOWER" -o "$TMP/secret.json" $in
check "existing file keeps 0600" test "$(stat -c %a "$TMP/secret.json")" = 600
same "$TMP/want" "$TMP/secret.json" "-o replaced content"
# no temporary file is left behind, after success or failure
must_fail 65 "-o invalid input" "$HM_LOWER" -o "$TMP/bad.json" testdata/lower/bad-refs.in.json 2>/dev/null
check "no temporary files" test -z "$(ls -A "$TMP" | grep -v -e '^fifo$' -e '^from-fifo$' -e '^null$' -e '^target$' -e '^link$' -e '^dangling$' -e '^dir$' -e '^new.json$' -e '^secret.json$' -e '^want$' -e '^err$')"
finish
