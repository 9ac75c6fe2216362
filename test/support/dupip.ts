/** Runs the real dupip CLI inside lab hosts. */
import { fileURLToPath } from 'node:url';
import type { LabHost } from '../lab/lab.js';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = `${REPO}bin/dupip`;

export async function dupip(host: LabHost, args: string[], timeoutMs = 30_000) {
  return host.exec(process.execPath, [BIN, ...args], { timeoutMs });
}
