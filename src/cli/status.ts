/** `dupip status`: placeholder until the control socket lands (issue 4). */
import type { Io } from './io.js';

export async function statusCommand(_argv: string[], io: Io): Promise<number> {
  io.err('dupip status: the control socket is not implemented yet\n');
  return 2;
}
