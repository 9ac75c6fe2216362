#!/usr/bin/env node
// Benchmark helper: watches dupip's metrics endpoint or control socket for a state flip, from inside
// the daemon's network namespace (where 127.0.0.1:PORT is the daemon's), driven line by line on stdin.
//
//   ip netns exec NS node bench/tools/poll.mjs --port 10227 --socket /tmp/…/dupip.sock
//   stdin:  metric <id> <ipv4>   GET /metrics until dupip_conflict{address="<ipv4>",…} is 1
//           status <id> <ipv4>   {"command":"status"} on the control socket until the address's state
//                                is "conflict"
//           scrape <id>          one GET /metrics
//   stdout: {"id","ok","t","tRequest","polls"} — t: when the first answer showing the flip was read,
//           tRequest: when that request was sent (ms since the epoch, µs precision); scrape: {"id","text"}
//
// Jobs run one at a time, back to back (no sleep between polls), each for at most --timeout ms.
import { request, Agent } from 'node:http';
import { connect } from 'node:net';
import { createInterface } from 'node:readline';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const port = Number(opt('--port', '10227'));
const socketPath = opt('--socket', '');
const timeoutMs = Number(opt('--timeout', '5000'));
const agent = new Agent({ keepAlive: true, maxSockets: 1 });
const now = () => performance.timeOrigin + performance.now();

function scrape() {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/metrics', agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve(body));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

function status() {
  return new Promise((resolve, reject) => {
    const s = connect(socketPath);
    let body = '';
    s.setEncoding('utf8');
    s.on('connect', () => s.write('{"command":"status"}\n'));
    s.on('data', (c) => (body += c));
    s.on('end', () => {
      try {
        resolve(JSON.parse(body));
      } catch (err) {
        reject(err);
      }
    });
    s.on('error', reject);
  });
}

async function pollUntil(check) {
  const start = now();
  let polls = 0;
  while (now() - start < timeoutMs) {
    const tRequest = now();
    polls++;
    let hit = false;
    try {
      hit = await check();
    } catch {
      /* the daemon is busy or restarting: try again */
    }
    if (hit) return { ok: true, t: now(), tRequest, polls };
  }
  return { ok: false, polls };
}

async function job(line) {
  const [kind, id, address] = line.trim().split(/\s+/);
  if (kind === 'scrape') return { id, text: await scrape() };
  if (kind === 'metric') {
    const needle = `dupip_conflict{address="${address}",`;
    return { id, ...(await pollUntil(async () => (await scrape()).split('\n').some((l) => l.startsWith(needle) && l.endsWith(' 1')))) };
  }
  if (kind === 'status') {
    return { id, ...(await pollUntil(async () => (await status()).addresses.some((a) => a.address === address && a.state === 'conflict'))) };
  }
  return { id, error: `unknown command ${kind}` };
}

let chain = Promise.resolve();
createInterface({ input: process.stdin }).on('line', (line) => {
  if (!line.trim()) return;
  chain = chain.then(async () => {
    let out;
    try {
      out = await job(line);
    } catch (err) {
      out = { id: line.split(/\s+/)[1], error: String(err && err.message) };
    }
    process.stdout.write(`${JSON.stringify(out)}\n`);
  });
}).on('close', () => chain.then(() => process.exit(0)));
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
