#!/usr/bin/env node
// RSS after a full GC, step by step, as modules are loaded in one Node process (bench/notes/profiles-memory.md,
// "RSS at idle"). Run with --expose-gc from the repository root:
//   node --expose-gc bench/tools/import-rss.mjs pino prom-client ./dist/cli/daemon.js ...
// A step is a package name or node: builtin (required), or a path to an ES module (imported).
// Each step is measured after 200 ms and three GCs; RSS from /proc/self/statm.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const require = createRequire(resolve('package.json'));
const rssMb = () => {
  for (let i = 0; i < 3; i++) globalThis.gc();
  return (Number(readFileSync('/proc/self/statm', 'utf8').split(' ')[1]) * 4096) / 1e6;
};
const settle = () => new Promise((r) => setTimeout(r, 200));

await settle();
let prev = rssMb();
console.log(`bare Node\t${prev.toFixed(1)}`);
for (const step of process.argv.slice(2)) {
  if (step.startsWith('.') || step.startsWith('/')) await import(pathToFileURL(resolve(step)).href);
  else require(step);
  await settle();
  const now = rssMb();
  console.log(`+ ${step}\t${now.toFixed(1)}\t(+${(now - prev).toFixed(1)})`);
  prev = now;
}
