/**
 * Builds the daemon's observers from the configuration: metrics and their HTTP(S) endpoint, the
 * conflict history journal, the control socket for `dupip status`. Everything that can fail at
 * startup (an invalid web config, a port in use, an unwritable state directory, a control socket
 * in use) fails here, before the daemon opens a raw socket: ConfigError (exit 78) for the web
 * config, a plain Error naming what and why otherwise.
 */
import type { Logger } from 'pino';
import type { DaemonConfig } from '../config/index.js';
import { controlObserver } from '../control/observer.js';
import type { DaemonView, Observer } from '../daemon/observer.js';
import { Journal } from '../journal/journal.js';
import { journalObserver } from '../journal/observer.js';
import { notifyObserver } from '../daemon/notify.js';
import { OUI_FILE, ouiLoadError, ouiTable } from '../platform/oui-file.js';
import { DupipMetrics } from '../metrics/metrics.js';
import { BasicAuth } from '../web/basic-auth.js';
import { createHandler } from '../web/routes.js';
import { startWebServer } from '../web/server.js';
import { loadWebConfig } from '../web/web-config-load.js';
import { VERSION } from './help.js';

export async function createObservers(config: DaemonConfig, logger: Logger): Promise<Observer[]> {
  const web = loadWebConfig(config.web.configFile);
  loadOuiRegistry(logger);
  const cleanup: Array<() => void | Promise<void>> = [];
  try {
    const metrics = new DupipMetrics({ version: VERSION });
    let view: DaemonView | null = null;
    const handler = createHandler(
      { version: VERSION, metrics: () => metrics.metrics(), metricsContentType: metrics.contentType, healthy: () => (view ? view.healthy() : null) },
      { auth: web.users.size ? new BasicAuth(web.users) : null, headers: web.headers, onError: (err) => logger.error({ event: 'http-error', err: err.message }, `HTTP: ${err.message}`) },
    );
    const server = await startWebServer(
      config.web.listenAddresses,
      web.tls,
      handler,
      (err) => logger.error({ event: 'http-error', err: err.message }, `HTTP server: ${err.message}`),
      web.file ? { configFile: web.file, log: { info: (m) => logger.info({ event: 'tls-reload' }, m), error: (m) => logger.error({ event: 'tls-reload' }, m) } } : undefined,
    );
    cleanup.push(() => server.close());
    logger.info(
      { event: 'listening', addresses: server.addresses.map((a) => `${a.address}:${a.port}`), tls: web.tls !== null, basicAuth: web.users.size > 0 },
      `metrics on ${config.web.listenAddresses.join(', ')}${web.tls ? ' (TLS)' : ''}${web.users.size ? ' with basic auth' : ''}`,
    );

    let journal: Journal;
    try {
      journal = Journal.open(config.stateDir, { logger });
    } catch (err) {
      throw new Error(`cannot open the conflict history in ${config.stateDir} (--state-dir): ${(err as Error).message}`);
    }
    cleanup.push(() => journal.close());

    const control = await controlObserver(config.controlSocket, journal, VERSION, (err) => logger.error({ event: 'control-error', err: err.message }, `control socket: ${err.message}`));
    logger.info({ event: 'control-socket', path: config.controlSocket }, `dupip status answers on ${config.controlSocket}`);

    const http: Observer = {
      attach(v) {
        view = v;
      },
      close: () => server.close(),
    };
    // Journal before control: a status request must see the episode its state reports.
    const notify = config.notifyCommand.length
      ? [notifyObserver({ command: config.notifyCommand, timeoutMs: config.notifyTimeoutMs, logger, counted: (ok, failure) => metrics.notified(ok, failure) })]
      : [];
    return [metrics, journalObserver(journal), control, http, ...notify];
  } catch (err) {
    for (const c of cleanup.reverse()) await c();
    throw err;
  }
}

/**
 * The IEEE registry that names MAC vendors, read now, before any socket is open: the first
 * conflict must not wait for it (its log line, metrics and status are on the frame path).
 */
function loadOuiRegistry(logger: Logger): void {
  const t0 = performance.now();
  const table = ouiTable();
  if (table) {
    logger.info({ event: 'oui-registry', path: OUI_FILE, assignments: table.size, ms: Math.round(performance.now() - t0) }, `MAC vendors from ${OUI_FILE} (${table.size} IEEE assignments)`);
  } else {
    logger.warn({ event: 'oui-registry', path: OUI_FILE, err: ouiLoadError() }, `cannot read ${OUI_FILE}: MACs are described without their vendor (${ouiLoadError()})`);
  }
}
