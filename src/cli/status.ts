/** `dupip status`: asks the running daemon over its control socket and prints a table or JSON. */
import { parseArgs } from 'node:util';
import { DEFAULTS } from '../config/schema.js';
import { ControlUnreachable, controlRequest } from '../control/client.js';
import type { StatusReport } from '../control/protocol.js';
import { EXIT_OK, EXIT_UNREACHABLE } from './exit-codes.js';
import { STATUS_HELP } from './help.js';
import type { Io } from './io.js';
import { exitCodeFor, renderStatus } from './status-table.js';

export { EXIT_UNREACHABLE };

interface StatusArgs {
  socket: string;
  json: boolean;
}

/** The arguments, or the problem with them. */
function readArgs(argv: string[]): StatusArgs | string {
  const { values, tokens } = parseArgs({
    args: argv,
    strict: false,
    allowPositionals: true,
    tokens: true,
    options: { json: { type: 'boolean' }, 'control-socket': { type: 'string' } },
  });
  for (const t of tokens) {
    if (t.kind === 'positional') return `unknown argument ${JSON.stringify(t.value)}`;
    if (t.kind !== 'option') continue;
    if (t.name === 'control-socket' && (!t.value || (!t.inlineValue && t.value.startsWith('-')))) return '--control-socket needs a path';
    if (t.name !== 'control-socket' && !(t.name === 'json' && t.value === undefined)) return `unknown argument ${JSON.stringify(argv[t.index])}`;
  }
  const socket = values['control-socket'];
  return { socket: typeof socket === 'string' ? socket : DEFAULTS.controlSocket, json: values.json === true };
}

function isReport(o: unknown): o is StatusReport {
  return typeof o === 'object' && o !== null && Array.isArray((o as StatusReport).addresses) && Array.isArray((o as StatusReport).history);
}

export async function statusCommand(argv: string[], io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.out(STATUS_HELP);
    return EXIT_OK;
  }
  const args = readArgs(argv);
  if (typeof args === 'string') {
    io.err(`dupip status: ${args}\n\n${STATUS_HELP}`);
    return EXIT_UNREACHABLE;
  }
  let reply: unknown;
  try {
    reply = await controlRequest(args.socket, { command: 'status' });
  } catch (err) {
    if (err instanceof ControlUnreachable) {
      io.err(`dupip status: ${err.message}\n`);
      return EXIT_UNREACHABLE;
    }
    throw err;
  }
  if (!isReport(reply)) {
    const why = typeof reply === 'object' && reply !== null && 'error' in reply ? String((reply as { error: unknown }).error) : 'an unexpected answer';
    io.err(`dupip status: the daemon at ${args.socket} answered: ${why}\n`);
    return EXIT_UNREACHABLE;
  }
  if (args.json) io.out(`${JSON.stringify(reply, null, 2)}\n`);
  else io.out(renderStatus(reply, Date.now(), io.isTty && !env.NO_COLOR));
  return exitCodeFor(reply);
}
