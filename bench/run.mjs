#!/usr/bin/env node
// `npm run bench [-- --quick ...]`: builds dist/ (what bin/dupip runs) unless --no-build, then runs the
// TypeScript suite bench/main.ts with vite-node (installed with vitest). Options: see bench/main.ts.
import { spawn, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
let args = process.argv.slice(2);
const noBuild = args.includes('--no-build');
args = args.filter((a) => a !== '--no-build');

if (!noBuild && !args.includes('--render')) {
  process.stderr.write('bench: building dist/ (tsc -p tsconfig.build.json; --no-build skips it)\n');
  const b = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
  if (b.status !== 0) process.exit(2);
}

const child = spawn(process.execPath, [join(ROOT, 'node_modules/vite-node/vite-node.mjs'), join(ROOT, 'bench/main.ts'), '--', ...args], {
  cwd: ROOT,
  stdio: 'inherit',
});
// Ctrl-C reaches the child through the terminal's process group; a plain kill is passed on.
for (const s of ['SIGTERM', 'SIGHUP']) process.on(s, () => child.kill(s));
process.on('SIGINT', () => {});
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
