/**
 * What the HTTP and control listeners count about their clients: open connections, connections
 * refused or closed at the connection cap, HTTP requests refused with a 4xx. The listeners write
 * these plain counters; the metrics render them at scrape time. Every label value is fixed.
 */
import type { MetricType, Registry } from './registry.js';

export type Listener = 'http' | 'control';
export const LISTENERS: readonly Listener[] = ['http', 'control'];

/** Why an HTTP request was answered with a 4xx. */
export const HTTP_REFUSAL_REASONS = ['bad-request', 'unauthorized', 'not-found', 'method', 'timeout', 'too-large', 'throttled'] as const;
export type HttpRefusalReason = (typeof HTTP_REFUSAL_REASONS)[number];

const zero = <K extends string>(keys: readonly K[]) => Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;

export class ServerStats {
  /** Connections open now. */
  readonly open = zero(LISTENERS);
  /** New connections closed at once because the listener was at its cap. */
  readonly rejected = zero(LISTENERS);
  /** Open connections closed to make room for a client holding fewer (HTTP only). */
  readonly evicted = zero(LISTENERS);
  readonly refused = zero(HTTP_REFUSAL_REASONS);
}

export function registerServerMetrics(registry: Registry, stats: ServerStats): void {
  const perListener = (name: string, help: string, values: Record<Listener, number>, type: MetricType) =>
    registry.register(name, help, type, ['listener'], (s) => {
      for (const l of LISTENERS) s.set([l], values[l]);
    });
  perListener('dupip_connections', 'Open connections to the HTTP (metrics) and control listeners.', stats.open, 'gauge');
  perListener('dupip_connections_rejected_total', 'New connections closed at once because the listener was at its connection cap.', stats.rejected, 'counter');
  perListener('dupip_connections_evicted_total', 'Open connections closed to make room for a client holding fewer (the cap is shared fairly).', stats.evicted, 'counter');
  registry.counter('dupip_http_requests_refused_total', 'HTTP requests answered with a 4xx, by reason.', ['reason'], (s) => {
    for (const r of HTTP_REFUSAL_REASONS) s.set([r], stats.refused[r]);
  });
}
