/**
 * Builds the daemon's observers from the configuration: metrics and their HTTP(S) endpoint, the
 * conflict history journal, the control socket for `dupip status`. Everything that can fail at
 * startup (a port in use, a control socket in use) fails here, before the daemon opens a raw
 * socket, with a plain Error naming what and why; the web config and its certificates were read
 * and checked once before (src/cli/daemon.ts: ConfigError, exit 78). The journal never fails startup: an unusable state directory or journal
 * path turns history off (logged, counted in dupip_journal_write_errors_total).
 */
import type { Logger } from 'pino';
import type { DaemonConfig } from '../config/index.js';
import { controlObserver } from '../control/observer.js';
import type { Guard } from '../daemon/guard.js';
import type { DaemonView, FaultPlace, Observer } from '../daemon/observer.js';
import { Journal } from '../journal/journal.js';
import { journalObserver } from '../journal/observer.js';
import { notifyObserver } from '../daemon/notify.js';
import { OUI_FILE, ouiLoadError, ouiRegistry } from '../platform/oui-file.js';
import { DupipMetrics } from '../metrics/metrics.js';
import { BasicAuth } from '../web/basic-auth.js';
import { createHandler, webReporter } from '../web/routes.js';
import { startWebServer } from '../web/server.js';
import type { WebConfig } from '../web/web-config-load.js';
import { VERSION } from './help.js';

/** The observer, naming the place its exceptions are counted under. */
const at = (where: FaultPlace, o: Observer): Observer => Object.assign(o, { where });

/** `web`: the web config file, read and checked once by the caller (src/cli/daemon.ts, before --check-config answers). */
export async function createObservers(config: DaemonConfig, web: WebConfig, logger: Logger, guard?: Guard): Promise<Observer[]> {
  // A request that threw is answered with an error; the exception is logged (rate-limited) and counted.
  const fault = (where: FaultPlace, log: (err: Error) => void) => (err: Error) => (guard ? guard.report(where, err) : log(err));
  loadOuiRegistry(logger);
  const cleanup: Array<() => void | Promise<void>> = [];
  try {
    const metrics = new DupipMetrics({ version: VERSION });
    let view: DaemonView | null = null;
    const reporter = webReporter(metrics.servers, logger);
    const auth = web.users.size ? new BasicAuth(web.users) : null;
    if (auth) cleanup.push(() => auth.close());
    const handler = createHandler(
      { version: VERSION, metrics: () => metrics.exposition(), metricsContentType: metrics.contentType, healthy: () => (view ? view.healthy() : null) },
      { auth, headers: web.headers, reporter, onError: fault('http', (err) => logger.error({ event: 'http-error', err: err.message }, `HTTP: ${err.message}`)) },
    );
    // Whatever the handler does, a request that fails (even in its own error path) ends that request only.
    const isolated: typeof handler = (req, res) =>
      Promise.resolve()
        .then(() => handler(req, res))
        .catch((err: unknown) => {
          fault('http', (e) => logger.error({ event: 'http-error', err: e.message }, `HTTP: ${e.message}`))(err as Error);
          res.destroy();
        });
    const server = await startWebServer(
      config.web.listenAddresses,
      web.tls,
      isolated,
      (err) => reporter.errors.note('server', undefined, err), // e.g. EMFILE on accept: rate-limited
      web.file ? { configFile: web.file, log: { info: (m) => logger.info({ event: 'tls-reload' }, m), error: (m) => logger.error({ event: 'tls-reload' }, m) } } : undefined,
      { maxConnections: config.web.maxConnections, reporter },
    );
    cleanup.push(() => server.close());
    logger.info(
      { event: 'listening', addresses: server.addresses.map((a) => `${a.address}:${a.port}`), tls: web.tls !== null, basicAuth: web.users.size > 0, maxConnections: config.web.maxConnections },
      `metrics on ${config.web.listenAddresses.join(', ')}${web.tls ? ' (TLS)' : ''}${web.users.size ? ' with basic auth' : ''}`,
    );

    const journal = Journal.open(config.stateDir, { logger });
    metrics.watchJournal(journal);
    cleanup.push(() => journal.close());

    const control = await controlObserver(
      config.controlSocket,
      journal,
      VERSION,
      fault('control', (err) => logger.error({ event: 'control-error', err: err.message }, `control socket: ${err.message}`)),
      { stats: metrics.servers },
    );
    logger.info({ event: 'control-socket', path: config.controlSocket }, `dupip status answers on ${config.controlSocket}`);

    const http: Observer = {
      attach(v) {
        view = v;
      },
      close: async () => {
        await server.close();
        await auth?.close();
        reporter.refusals.close();
        reporter.errors.close();
      },
    };
    // Journal before control: a status request must see the episode its state reports.
    const notify = config.notify.command.length
      ? [at('observer', notifyObserver({ command: config.notify.command, timeoutMs: config.notify.timeoutMs, logger, counted: (ok, failure) => metrics.notified(ok, failure) }))]
      : [];
    return [at('metrics', metrics), at('journal', journalObserver(journal)), at('control', control), at('http', http), ...notify];
  } catch (err) {
    for (const c of cleanup.reverse()) await c();
    throw err;
  }
}

/**
 * The IEEE registry that names MAC vendors, opened and checked now, before any socket is open:
 * the first conflict must not wait for it (its log line, metrics and status are on the frame
 * path). It is not read into memory: a lookup bisects the file (src/platform/oui-file.ts).
 */
function loadOuiRegistry(logger: Logger): void {
  const t0 = performance.now();
  const registry = ouiRegistry();
  if (registry) {
    logger.info(
      { event: 'oui-registry', path: OUI_FILE, assignments: registry.size, lookup: registry.mode, ms: Math.round(performance.now() - t0) },
      `MAC vendors from ${OUI_FILE} (${registry.size} IEEE assignments)`,
    );
  } else {
    logger.warn({ event: 'oui-registry', path: OUI_FILE, err: ouiLoadError() }, `cannot read ${OUI_FILE}: MACs are described without their vendor (${ouiLoadError()})`);
  }
}
