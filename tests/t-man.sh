#!/bin/sh
# hm: the manual pages. Every man/*.1 and man/*.5 is clean under
# `mandoc -T lint -W warning`, and every message of libhm/diag.def is
# documented: the longest literal part of its format (the text between
# printf directives) must appear in the rendered DIAGNOSTICS section of
# at least one page.
. "$(dirname "$0")/lib.sh"
cd "$TOP" || exit 1

if ! command -v mandoc >/dev/null 2>&1; then
	fail "mandoc is not installed (run scripts/setup.sh)"
	finish
fi

pages=$(ls man/*.1 man/*.5 2>/dev/null)
[ -n "$pages" ] || fail "no manual pages in man/"

for p in $pages; do
	checks=$((checks + 1))
	if ! mandoc -T lint -W warning "$p" >"$TMP/lint" 2>&1 || [ -s "$TMP/lint" ]; then
		fail "$p: mandoc -T lint -W warning"
		cat "$TMP/lint" >&2
	fi
done

# The DIAGNOSTICS sections of all pages as plain text, one long line per
# paragraph, white space collapsed (wide output, so nothing is wrapped).
: >"$TMP/diagnostics"
for p in $pages; do
	mandoc -T ascii -O width=1000 "$p" | sed 's/.\x08//g' | awk '
		/^DIAGNOSTICS/ { on = 1; next }
		/^[A-Z][A-Z ]*$/ { on = 0 }
		on' >>"$TMP/diagnostics"
done
tr -s ' \t' '  ' <"$TMP/diagnostics" >"$TMP/diagnostics.txt"

# code TAB format, for every DIAG(code, level, "format") of the catalogue.
grep -o 'DIAG([A-Z0-9_]*, *DIAG_[A-Z]*, *"\([^"\\]\|\\.\)*")' libhm/diag.def |
	sed 's/^DIAG(\([A-Z0-9_]*\), *DIAG_[A-Z]*, *"\(.*\)")$/\1	\2/' |
	sed 's/\\"/"/g; s/\\\\/\\/g' >"$TMP/catalogue"
[ -s "$TMP/catalogue" ] || fail "no messages found in libhm/diag.def"

# code TAB the longest literal fragment of the format.
awk -F '	' '{
	f = $2
	gsub(/%(%|[-+ #0]*[0-9]*(\.[0-9]+)?(hh|h|ll|l|z|j|t)?[diouxXcsp])/, "\001", f)
	n = split(f, part, "\001")
	best = ""
	for (i = 1; i <= n; i++) {
		s = part[i]
		gsub(/^ +| +$/, "", s)
		gsub(/  +/, " ", s)
		if (length(s) > length(best))
			best = s
	}
	print $1 "\t" best
}' "$TMP/catalogue" >"$TMP/fragments"

while IFS='	' read -r code frag; do
	checks=$((checks + 1))
	if [ -z "$frag" ]; then
		fail "$code: its format has no literal text to look for"
	elif ! grep -qF -- "$frag" "$TMP/diagnostics.txt"; then
		fail "$code is not documented in any DIAGNOSTICS section (looked for: $frag)"
	fi
done <"$TMP/fragments"

finish
