// hm: load an HTML file in headless Chromium (Debian's) over the DevTools
// protocol and report what a person would see: console messages and
// errors, every request that was not the file itself, the timeline's
// rows (key and status) and the graph's nodes, and a full-page screenshot.
//
//   node --experimental-websocket tests/browser.mjs FILE.html SHOT.png
//
// Prints one JSON object on stdout; exits 2 if the browser cannot be
// driven. No npm package: node's own fetch and WebSocket.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const [file, shot] = process.argv.slice(2);
if (!file || !shot) {
	console.error('usage: browser.mjs FILE.html SHOT.png');
	process.exit(64);
}
const profile = mkdtempSync(join(tmpdir(), 'hm-chromium.'));
const browser = spawn(process.env.CHROMIUM || 'chromium', [
	'--headless=new', '--no-sandbox', '--disable-gpu',
	'--no-first-run', '--no-default-browser-check',
	'--remote-debugging-port=0', `--user-data-dir=${profile}`,
	'about:blank',
], { stdio: ['ignore', 'ignore', 'pipe'] });

// Chromium's helper processes can still be writing its cache after the
// browser exited: retry, and never let the profile fail a run.
function cleanup() {
	try {
		rmSync(profile, { recursive: true, force: true, maxRetries: 20,
			retryDelay: 100 });
	} catch (e) {
		console.error(`browser.mjs: left ${profile}: ${e.code}`);
	}
}

function die(msg) {
	console.error(`browser.mjs: ${msg}`);
	browser.kill('SIGKILL');
	cleanup();
	process.exit(2);
}
const timer = setTimeout(() => die('timed out'), 60000);

let stderr = '';
const early = () => die(`chromium exited: ${stderr.slice(-500)}`);
browser.on('exit', early);
const port = await new Promise((res) => {
	browser.stderr.on('data', (d) => {
		stderr += d;
		const m = /DevTools listening on ws:\/\/[^:]+:(\d+)\//.exec(stderr);
		if (m) res(m[1]);
	});
});
browser.off('exit', early);
const pages = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
const page = pages.find((p) => p.type === 'page');
if (!page) die('no page target');
const ws = new WebSocket(page.webSocketDebuggerUrl);
await new Promise((res, rej) => { ws.onopen = res; ws.onerror = rej; });

let id = 0;
const waiting = new Map();
const listeners = [];
const report = { console: [], errors: [], requests: [], rows: [], nodes: [] };
ws.onmessage = (m) => {
	const msg = JSON.parse(m.data);
	if (msg.id && waiting.has(msg.id)) {
		const { res, rej } = waiting.get(msg.id);
		waiting.delete(msg.id);
		if (msg.error) rej(new Error(JSON.stringify(msg.error)));
		else res(msg.result);
		return;
	}
	switch (msg.method) {
	case 'Runtime.consoleAPICalled':
		report.console.push({ type: msg.params.type,
			text: msg.params.args.map((a) => a.value ?? a.description).join(' ') });
		if (msg.params.type === 'error' || msg.params.type === 'assert')
			report.errors.push(`console.${msg.params.type}`);
		break;
	case 'Runtime.exceptionThrown':
		report.errors.push(msg.params.exceptionDetails.exception?.description ??
			msg.params.exceptionDetails.text);
		break;
	case 'Log.entryAdded':
		if (msg.params.entry.level === 'error')
			report.errors.push(msg.params.entry.text);
		break;
	case 'Network.requestWillBeSent': {
		const url = msg.params.request.url;
		if (!url.startsWith('file://') && !url.startsWith('data:'))
			report.requests.push(url);
		break;
	}
	}
	for (const l of listeners) l(msg);
};
function send(method, params = {}) {
	return new Promise((res, rej) => {
		waiting.set(++id, { res, rej });
		ws.send(JSON.stringify({ id, method, params }));
	});
}
function once(method) {
	return new Promise((res) => listeners.push((m) => {
		if (m.method === method) res(m.params);
	}));
}

await send('Runtime.enable');
await send('Log.enable');
await send('Network.enable');
await send('Page.enable');
await send('Emulation.setDeviceMetricsOverride',
	{ width: 1280, height: 900, deviceScaleFactor: 1, mobile: false });
const loaded = once('Page.loadEventFired');
await send('Page.navigate', { url: `file://${resolve(file)}` });
await loaded;
const { result } = await send('Runtime.evaluate', { returnByValue: true, expression: `(() => {
	const pick = (sel) => [...document.querySelectorAll(sel)].map((e) => ({
		key: e.dataset.key, status: e.dataset.status,
		text: e.textContent,
		shown: e.getBoundingClientRect().width > 0 }));
	return { title: document.title,
		rows: pick('#timeline g.row'), nodes: pick('#graph g.node'),
		details: [...document.querySelectorAll('#steps details')].map(
			(d) => ({ key: d.dataset.key, open: d.open })),
		height: document.documentElement.scrollHeight };
})()` });
Object.assign(report, result.value);
await send('Emulation.setDeviceMetricsOverride', { width: 1280,
	height: Math.min(result.value.height, 8000), deviceScaleFactor: 1,
	mobile: false });
const png = await send('Page.captureScreenshot', { format: 'png' });
writeFileSync(shot, Buffer.from(png.data, 'base64'));
clearTimeout(timer);
ws.close();
browser.kill('SIGTERM');
await new Promise((res) => browser.once('exit', res));
console.log(JSON.stringify(report));
cleanup();
