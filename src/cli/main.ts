/** The dupip command line: `dupip probe | scan | daemon | status`. */
import { daemonCommand } from './daemon.js';
import { MAIN_HELP, VERSION } from './help.js';
import { type Io, processIo } from './io.js';
import { probeCommand } from './probe.js';
import { scanCommand } from './scan.js';
import { statusCommand } from './status.js';

export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'probe':
      return probeCommand(rest, io);
    case 'scan':
      return scanCommand(rest, io);
    case 'daemon':
      return daemonCommand(rest, io);
    case 'status':
      return statusCommand(rest, io);
    case '--version':
    case 'version':
      io.out(`dupip ${VERSION}\n`);
      return 0;
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      io.out(MAIN_HELP);
      return command === undefined ? 2 : 0;
    default:
      io.err(`dupip: unknown command "${command}"\n\n${MAIN_HELP}`);
      return 2;
  }
}

/** Entry point used by bin/dupip. */
export async function run(argv: string[]): Promise<void> {
  try {
    process.exitCode = await main(argv);
  } catch (err) {
    process.stderr.write(`dupip: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  }
  // Commands that are done must not linger on a handle (the daemon resolves only when it stops).
  setImmediate(() => process.exit(process.exitCode ?? 0));
}
