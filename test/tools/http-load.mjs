#!/usr/bin/env node
// HTTP clients that misbehave, for the web-limits e2e test (run inside a lab namespace; loopback or
// lab addresses only):
//
//   node test/tools/http-load.mjs bad   --target H:P [--count 10000] [--concurrency 50]
//       malformed and unknown-path requests, raw over TCP; prints {sent, statuses}
//   node test/tools/http-load.mjs idle  --target H:P [--count 400] [--reconnect]
//       opens connections and sends nothing; prints "ready {...}" once all are attempted, holds them
//       (with --reconnect: reopens each one 500 ms after the server closed it) until SIGTERM, then
//       prints {open, closedByServer}
//   node test/tools/http-load.mjs guess --target H:P [--clients 200] [--seconds 20] [--user U]
//       each client loops GET /metrics with a wrong password; prints {requests, statuses, errors}
//   node test/tools/http-load.mjs scrape --target H:P --auth U:P [--seconds 20] [--every 1000]
//       a scraper: one GET /metrics per interval (10 s timeout); prints {latenciesMs, statuses, errors}
import { request } from 'node:http';
import { connect } from 'node:net';

const mode = process.argv[2];
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const [host, portText] = arg('target', '127.0.0.1:10227').split(/:(?=\d+$)/);
const port = Number(portText);
const tally = (o, k) => (o[k] = (o[k] ?? 0) + 1);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const BAD = [
  'GET // HTTP/1.1\r\nHost: x\r\n\r\n',
  'GET /nope HTTP/1.1\r\nHost: x\r\n\r\n',
  'GET http://[bad/ HTTP/1.1\r\nHost: x\r\n\r\n',
  'BREW /metrics HTTP/1.1\r\nHost: x\r\n\r\n',
  'DELETE /metrics HTTP/1.1\r\nHost: x\r\n\r\n',
  `GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(9000)}\r\n\r\n`,
  'GET /metrics HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n',
  '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03',
];

function rawOnce(text) {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    let out = '';
    s.setEncoding('latin1').on('data', (d) => (out += d));
    s.on('connect', () => s.write(text, 'latin1'));
    s.on('error', () => {});
    s.on('close', () => resolve(/^HTTP\/1\.1 (\d+)/.exec(out)?.[1] ?? 'none'));
    setTimeout(() => s.destroy(), 10_000).unref();
  });
}

function get(path, auth, timeoutMs = 10_000) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const headers = auth ? { Authorization: `Basic ${Buffer.from(auth).toString('base64')}` } : {};
    const req = request({ host, port, path, headers, agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: String(res.statusCode), ms: performance.now() - t0 }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve({ status: e.message === 'timeout' ? 'timeout' : (e.code ?? 'error'), ms: performance.now() - t0 }));
    req.end();
  });
}

if (mode === 'bad') {
  const count = Number(arg('count', '10000'));
  const concurrency = Number(arg('concurrency', '50'));
  const statuses = {};
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) tally(statuses, await rawOnce(BAD[next++ % BAD.length]));
    }),
  );
  console.log(JSON.stringify({ sent: count, statuses }));
} else if (mode === 'idle') {
  const count = Number(arg('count', '400'));
  const sockets = [];
  let closedByServer = 0;
  let stopping = false;
  const reconnect = process.argv.includes('--reconnect');
  const open = (slot) =>
    new Promise((resolve) => {
      const s = connect({ host, port });
      s.on('connect', resolve);
      s.on('error', () => resolve());
      s.on('close', () => {
        if (stopping) return;
        closedByServer++;
        if (reconnect) setTimeout(() => open(slot), 500);
      });
      sockets[slot] = s;
    });
  await Promise.all(Array.from({ length: count }, (_, i) => open(i)));
  await sleep(500);
  console.log(`ready ${JSON.stringify({ attempted: count, open: sockets.filter((s) => !s.destroyed).length })}`);
  process.on('SIGTERM', () => {
    const open = sockets.filter((s) => !s.destroyed).length;
    stopping = true;
    for (const s of sockets) s.destroy();
    console.log(JSON.stringify({ open, closedByServer }));
    process.exit(0);
  });
  setInterval(() => {}, 1000);
} else if (mode === 'guess') {
  const clients = Number(arg('clients', '200'));
  const until = Date.now() + Number(arg('seconds', '20')) * 1000;
  const user = arg('user', 'prometheus');
  const statuses = {};
  let requests = 0;
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let i = 0; Date.now() < until; i++) {
        const r = await get('/metrics', `${user}:guess-${c}-${i}`);
        requests++;
        tally(statuses, r.status);
        if (r.status !== '401' && r.status !== '429') await sleep(50); // refused connections: do not spin
      }
    }),
  );
  console.log(JSON.stringify({ requests, statuses }));
} else if (mode === 'scrape') {
  const until = Date.now() + Number(arg('seconds', '20')) * 1000;
  const every = Number(arg('every', '1000'));
  const auth = arg('auth');
  const latenciesMs = [];
  const statuses = {};
  while (Date.now() < until) {
    const t0 = Date.now();
    const r = await get('/metrics', auth);
    tally(statuses, r.status);
    latenciesMs.push(Math.round(r.ms));
    await sleep(Math.max(0, every - (Date.now() - t0)));
  }
  console.log(JSON.stringify({ latenciesMs, statuses }));
} else {
  console.error(`unknown mode ${mode}`);
  process.exit(2);
}
