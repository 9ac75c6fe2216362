/**
 * Builds the daemon's observers from the configuration: metrics and their HTTP(S) endpoint, the
 * conflict history journal, the control socket for `dupip status`. Everything that can fail at
 * startup (an invalid web config, a port in use, a control socket in use) fails here, before the
 * daemon opens a raw socket: ConfigError (exit 78) for the web config, a plain Error naming what
 * and why otherwise. The journal never fails startup: an unusable state directory or journal
 * path turns history off (logged, counted in dupip_journal_write_errors_total).
 */
import type { Logger } from 'pino';
import type { DaemonConfig } from '../config/index.js';
import { controlObserver } from '../control/observer.js';
import type { DaemonView, Observer } from '../daemon/observer.js';
import { Journal } from '../journal/journal.js';
import { journalObserver } from '../journal/observer.js';
import { DupipMetrics } from '../metrics/metrics.js';
import { BasicAuth } from '../web/basic-auth.js';
import { createHandler, webReporter } from '../web/routes.js';
import { startWebServer } from '../web/server.js';
import { loadWebConfig } from '../web/web-config-load.js';
import { VERSION } from './help.js';

export async function createObservers(config: DaemonConfig, logger: Logger): Promise<Observer[]> {
  const web = loadWebConfig(config.web.configFile);
  const cleanup: Array<() => void | Promise<void>> = [];
  try {
    const metrics = new DupipMetrics({ version: VERSION });
    let view: DaemonView | null = null;
    const reporter = webReporter(metrics.servers, logger);
    const auth = web.users.size ? new BasicAuth(web.users) : null;
    if (auth) cleanup.push(() => auth.close());
    const handler = createHandler(
      { version: VERSION, metrics: () => metrics.metrics(), metricsContentType: metrics.contentType, healthy: () => (view ? view.healthy() : null) },
      { auth, headers: web.headers, reporter },
    );
    const server = await startWebServer(
      config.web.listenAddresses,
      web.tls,
      handler,
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

    const control = await controlObserver(config.controlSocket, journal, VERSION, (err) => logger.error({ event: 'control-error', err: err.message }, `control socket: ${err.message}`), { stats: metrics.servers });
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
    return [metrics, journalObserver(journal), control, http];
  } catch (err) {
    for (const c of cleanup.reverse()) await c();
    throw err;
  }
}
