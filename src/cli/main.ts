/**
 * The dupip command line: `dupip probe | scan | daemon | status`. Each command is imported when it runs, so
 * `dupip status`, `dupip probe`, `dupip scan` and `--help` never load the daemon (pino, yaml, bcryptjs):
 * test/e2e/cli-modules.test.ts checks which modules each loads.
 */
import { EXIT_FATAL, EXIT_OK, EXIT_USAGE } from './exit-codes.js';
import { MAIN_HELP, VERSION } from './help.js';
import { type Io, processIo } from './io.js';

export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'probe':
      return (await import('./probe.js')).probeCommand(rest, io);
    case 'scan':
      return (await import('./scan.js')).scanCommand(rest, io);
    case 'daemon':
      return (await import('./daemon.js')).daemonCommand(rest, io);
    case 'status':
      return (await import('./status.js')).statusCommand(rest, io);
    case '--version':
    case 'version':
      io.out(`dupip ${VERSION}\n`);
      return EXIT_OK;
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      io.out(MAIN_HELP);
      return command === undefined ? EXIT_USAGE : EXIT_OK;
    default:
      io.err(`dupip: unknown command "${command}"\n\n${MAIN_HELP}`);
      return EXIT_USAGE;
  }
}

/** Entry point used by bin/dupip. */
export async function run(argv: string[]): Promise<void> {
  try {
    process.exitCode = await main(argv);
  } catch (err) {
    process.stderr.write(`dupip: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = EXIT_FATAL;
  }
  // Commands that are done must not linger on a handle (the daemon resolves only when it stops).
  setImmediate(() => process.exit(process.exitCode ?? 0));
}
