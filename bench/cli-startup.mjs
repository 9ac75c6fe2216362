#!/usr/bin/env node
// CLI start-up, side by side with bare Node (issue 12): `dupip status` with no daemon and
// `dupip --help` against `node -e 0`. Runs the three commands interleaved ROUNDS times (default 30)
// under /usr/bin/time and prints the median wall time and the median peak RSS of each, with the ratios
// to `node -e 0`, as the markdown rows docs/benchmarks.md carries.
//   node bench/cli-startup.mjs [ROUNDS]
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL(process.env.DUPIP_BIN ?? '../bin/dupip', import.meta.url));
const rounds = Number(process.argv[2] ?? 30);
const commands = {
  'node -e 0': [process.execPath, '-e', '0'],
  'dupip status (no daemon)': [process.execPath, BIN, 'status', '--control-socket', '/nonexistent/dupip.sock'],
  'dupip --help': [process.execPath, BIN, '--help'],
};

const samples = Object.fromEntries(Object.keys(commands).map((k) => [k, { wall: [], rss: [] }]));
for (let i = 0; i < rounds; i++) {
  for (const [name, argv] of Object.entries(commands)) {
    // %e wall seconds, %M peak resident set size in KiB
    const r = spawnSync('/usr/bin/time', ['-f', '%e %M', ...argv], { encoding: 'utf8' });
    const line = r.stderr.trim().split('\n').pop();
    const [wall, rss] = line.split(' ').map(Number);
    samples[name].wall.push(wall * 1000);
    samples[name].rss.push(rss / 1024);
  }
}
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const base = samples['node -e 0'];
console.log(`| command | wall, median of ${rounds} | × node -e 0 | peak RSS, median | × node -e 0 |`);
console.log('|---|---:|---:|---:|---:|');
for (const [name, s] of Object.entries(samples)) {
  const w = median(s.wall);
  const m = median(s.rss);
  console.log(`| \`${name}\` | ${w.toFixed(0)} ms | ${(w / median(base.wall)).toFixed(2)} | ${m.toFixed(1)} MB | ${(m / median(base.rss)).toFixed(2)} |`);
}
