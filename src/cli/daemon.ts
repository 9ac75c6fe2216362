/** `dupip daemon`: load the configuration, start the detector and its observers, handle signals. */
import pino, { type Logger } from 'pino';
import { ConfigError, type DaemonConfig, formatDuration, loadConfig } from '../config/index.js';
import { buildArpFilter } from '../core/bpf.js';
import { formatAddress } from '../core/address.js';
import { Daemon } from '../daemon/daemon.js';
import { Guard, installCrashPolicy } from '../daemon/guard.js';
import type { Observer } from '../daemon/observer.js';
import { readDefaultRouteInterfaces, readHostInterfaces, readInterface } from '../platform/interfaces.js';
import { watchHostChanges } from '../platform/netlink.js';
import { type WebConfig, loadWebConfig } from '../web/web-config-load.js';
import { openArpSocket, socketErrorKind } from '../platform/packet-socket.js';
import { ndPlatform } from './nd-platform.js';
import { DAEMON_HELP, VERSION } from './help.js';
import type { Io } from './io.js';
import { microsecondIsoTime } from './log-time.js';
import { createObservers } from './observers.js';

/** Log lines buffered while stdout is slow; beyond this they are dropped rather than held in memory. */
const LOG_BUFFER_BYTES = 16 * 1024 * 1024;

export function describeConfig(c: DaemonConfig): string {
  return [
    `interfaces: ${c.interfaces.length ? c.interfaces.join(', ') : 'every ARP-capable interface with IPv4 or IPv6'}`,
    `own addresses: ${c.ownAddresses ? 'monitored' : 'not monitored'}${c.excludeAddresses.length ? ` (excluding ${c.excludeAddresses.length} prefix(es))` : ''}`,
    `delegates: ${c.delegates.map((d) => formatAddress(d.address) + (d.interface ? `@${d.interface}` : '')).join(', ') || 'none'}`,
    `probe every ${formatDuration(c.probeIntervalMs)} ±20%, announce every ${c.announceIntervalMs ? formatDuration(c.announceIntervalMs) : 'never'}, defend ${c.defend}, clear after ${c.clearAfter} round(s), at most ${c.maxSendRate} frames/s per interface`,
    `notify: ${c.notify.command.length ? `${c.notify.command.join(' ')} on every episode start and end, killed after ${formatDuration(c.notify.timeoutMs)}` : 'none'}`,
  ].join('\n');
}

export async function daemonCommand(argv: string[], io: Io): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.out(DAEMON_HELP);
    return 0;
  }
  let loaded;
  let web: WebConfig;
  try {
    loaded = loadConfig({ argv });
    web = loadWebConfig(loaded.config.web.configFile); // read once: checked here, used by the observers
  } catch (err) {
    if (err instanceof ConfigError) {
      io.err(`${err.message}\n`);
      return err.exitCode;
    }
    throw err;
  }
  if (loaded.checkOnly) {
    io.out(`${loaded.configPath ?? 'flags'}: configuration OK\n${describeConfig(loaded.config)}\n`);
    return 0;
  }
  // Asynchronous: a slow reader of stdout (a pipe to a log shipper) must never stall frame
  // handling; the buffer is bounded, and flushed before the process exits.
  const destination = pino.destination({ fd: 1, sync: false, maxLength: LOG_BUFFER_BYTES });
  const logger = pino({ level: loaded.config.logLevel, base: { pid: process.pid }, timestamp: microsecondIsoTime() }, destination);
  // Exceptions at the entry points are isolated (src/daemon/guard.ts); one anywhere else exits 70.
  const removeCrashPolicy = installCrashPolicy(logger, () => destination.flushSync());
  try {
    return await runDaemon(argv, loaded.config, web, logger, io);
  } finally {
    removeCrashPolicy();
    try {
      destination.flushSync();
    } catch {
      /* stdout is gone: nothing left to tell */
    }
  }
}

async function runDaemon(argv: string[], config: DaemonConfig, web: WebConfig, logger: Logger, io: Io): Promise<number> {
  logger.info({ event: 'starting', version: VERSION, node: process.version }, `dupip ${VERSION} starting`);
  let observers: Observer[];
  const guard = new Guard(logger);
  try {
    observers = await createObservers(config, web, logger, guard);
  } catch (err) {
    logger.fatal({ event: 'fatal', err: (err as Error).message }, (err as Error).message);
    if (err instanceof ConfigError) {
      io.err(`${err.message}\n`);
      return err.exitCode;
    }
    io.err(`dupip daemon: ${(err as Error).message}\n`);
    return 1;
  }
  const daemon = new Daemon({
    config,
    readHost: readHostInterfaces,
    readInterface,
    readDefaultRoutes: readDefaultRouteInterfaces,
    openSocket: openArpSocket,
    buildFilter: (ownMac, watched, ifindex) => {
      // The ifindex check drops frames of VLAN devices stacked on the interface (a trunk parent).
      const program = buildArpFilter({ ownMac, watched, ifindex });
      return { program, strategy: program.strategy };
    },
    watchLinks: (onChange) => watchHostChanges(onChange),
    nd: ndPlatform(logger),
    logger,
    observers,
    guard,
  });
  try {
    await daemon.start();
  } catch (err) {
    const e = err as Error;
    const msg = socketErrorKind(err) === 'permission' ? `permission denied opening ARP sockets: dupip needs CAP_NET_RAW (or root)` : e.message;
    logger.fatal({ event: 'fatal', err: e.message }, msg);
    io.err(`dupip daemon: ${msg}\n`);
    await daemon.stop();
    return 1;
  }

  return new Promise<number>((resolve) => {
    const stop = (signal: string) => {
      logger.info({ event: 'stopping', signal }, `stopping on ${signal}`);
      const force = setTimeout(() => resolve(0), 900);
      force.unref();
      void daemon.stop().then(() => {
        clearTimeout(force);
        resolve(0);
      });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    process.on('SIGHUP', () => {
      try {
        const { config: next } = loadConfig({ argv });
        daemon.reconfigure(next);
      } catch (err) {
        const msg = err instanceof ConfigError ? err.message : (err as Error).message;
        logger.error({ event: 'reload-refused', err: msg }, `configuration reload refused, keeping the running one: ${msg}`);
      }
    });
  });
}
