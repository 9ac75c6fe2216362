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
  let parsed;
  try {
    parsed = parseArgs({ args: argv, strict: true, allowPositionals: false, options: { json: { type: 'boolean' }, 'control-socket': { type: 'string' } } });
  } catch (err) {
    // ERR_PARSE_ARGS_UNKNOWN_OPTION, ..._INVALID_OPTION_VALUE (a missing value), ..._UNEXPECTED_POSITIONAL
    const code = (err as { code?: string }).code;
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') return '--control-socket needs a path';
    const arg = /'([^']*)'/.exec((err as Error).message)?.[1] ?? argv.join(' ');
    return `unknown argument ${JSON.stringify(arg)}`;
  }
  const socket = parsed.values['control-socket'];
  if (socket === '') return '--control-socket needs a path';
  return { socket: socket ?? DEFAULTS.controlSocket, json: parsed.values.json ?? false };
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
