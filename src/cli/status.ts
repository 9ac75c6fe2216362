/** `dupip status`: asks the running daemon over its control socket and prints a table or JSON. */
import { DEFAULTS } from '../config/index.js';
import { ControlUnreachable, controlRequest } from '../control/client.js';
import type { StatusReport } from '../control/protocol.js';
import { STATUS_HELP } from './help.js';
import type { Io } from './io.js';
import { exitCodeFor, renderStatus } from './status-table.js';

/** Exit status when the daemon cannot be reached or the command line is wrong. */
export const EXIT_UNREACHABLE = 2;

interface StatusArgs {
  socket: string;
  json: boolean;
}

function parseArgs(argv: string[]): StatusArgs | string {
  const args: StatusArgs = { socket: DEFAULTS.controlSocket, json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--json') args.json = true;
    else if (a === '--control-socket' || a.startsWith('--control-socket=')) {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      if (!v) return '--control-socket needs a path';
      args.socket = v;
    } else return `unknown argument ${JSON.stringify(a)}`;
  }
  return args;
}

function isReport(o: unknown): o is StatusReport {
  return typeof o === 'object' && o !== null && Array.isArray((o as StatusReport).addresses) && Array.isArray((o as StatusReport).history);
}

export async function statusCommand(argv: string[], io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.out(STATUS_HELP);
    return 0;
  }
  const args = parseArgs(argv);
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
