/** Builds the daemon's observers from the configuration (metrics, journal, control socket). */
import type { Logger } from 'pino';
import type { DaemonConfig } from '../config/index.js';
import type { Observer } from '../daemon/observer.js';

export async function createObservers(_config: DaemonConfig, _logger: Logger): Promise<Observer[]> {
  return [];
}
