#!/bin/sh
# hm: make install puts the tools and every manual page under
# DESTDIR/PREFIX, and the installed hm-lower runs.
. "$(dirname "$0")/lib.sh"
cd "$TOP" || exit 1
make -s install O="$O" PREFIX=/opt/hm DESTDIR="$TMP/root" >"$TMP/log" 2>&1 ||
	fail "make install failed: $(tail -3 "$TMP/log")"
for t in hm-lower hm-bake hm-exec hm-sandbox; do
	check "$t installed" test -x "$TMP/root/opt/hm/bin/$t"
done
for m in man/*.1; do
	check "$(basename "$m") installed" test -f "$TMP/root/opt/hm/share/man/man1/$(basename "$m")"
done
for m in man/*.5; do
	check "$(basename "$m") installed" test -f "$TMP/root/opt/hm/share/man/man5/$(basename "$m")"
done
"$TMP/root/opt/hm/bin/hm-lower" --check testdata/lower/harmont/single_step.json
check "installed hm-lower runs" test $? -eq 0
finish
