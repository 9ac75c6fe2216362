/**
 * vitest globalSetup: before and after the run, remove lab namespaces (dupiplab-<pid>-...) whose
 * owning process is dead: leftovers of a crashed, killed or timed-out earlier run. Namespaces of
 * live processes (another run in progress) are left alone. Without root there is nothing we could
 * have created, and nothing we may remove: it does nothing.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { removeStaleNamespacesSync } from './lab/names.js';

function sweep(when: string): void {
  if (process.getuid?.() !== 0) return;
  const { removed, failed, foreign } = removeStaleNamespacesSync();
  if (removed.length > 0) {
    process.stderr.write(`global-setup (${when}): removed ${removed.length} stale lab namespace(s): ${removed.join(' ')}\n`);
  }
  if (failed.length > 0) {
    process.stderr.write(`global-setup (${when}): could not remove: ${failed.join(' ')}\n`);
  }
  if (foreign.length > 0 && when === 'before') {
    process.stderr.write(`global-setup: ignoring namespaces under the lab prefix not made by the lab: ${foreign.join(' ')}\n`);
  }
}

/** e2e tests run the real CLI (bin/dupip → dist/): compile the current sources once per run. */
function build(): void {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
}

export function setup(): () => void {
  mkdirSync('.tmp', { recursive: true });
  build();
  sweep('before');
  return () => sweep('after');
}
