/**
 * The HTTP endpoints: `/` (landing page), `/metrics`, `/healthz`. A request the daemon will not
 * serve (a bad target, no or wrong credentials, another method, a body, another path) is answered
 * with a 4xx, counted by reason, logged at debug level and summarised at warn level at most once a
 * minute; only a real internal error answers 500 (logged with its stack, rate-limited too).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpRefusalReason, ServerStats } from '../metrics/servers.js';
import type { BasicAuth } from './basic-auth.js';
import { clientKey } from './connections.js';
import { type Throttle, type WebLog, errorThrottle, refusalThrottle } from './throttled-log.js';

export interface WebEndpoints {
  version: string;
  /** The exposition, as text or as its UTF-8 bytes. */
  metrics(): Promise<string | Buffer>;
  metricsContentType: string;
  /** null before the daemon is running. */
  healthy(): boolean | null;
}

export interface RouteOptions {
  auth: BasicAuth | null;
  /** Extra response headers from the web config (http_server_config.headers). */
  headers: Record<string, string>;
  /** Called for each internal error (HTTP 500) instead of the reporter: it logs and counts it (the daemon's guard). */
  onError?: (err: Error) => void;
  /** Refusals and internal errors: per-request at debug, summarised at warn/error (webReporter()). */
  reporter?: WebReporter;
}

/** Where the listeners report what clients did wrong and what went wrong inside. */
export interface WebReporter {
  stats: ServerStats;
  log: WebLog;
  refusals: Throttle;
  errors: Throttle;
}

/** A printable, bounded form of what a client sent (for debug lines). */
export const shown = (s: string | undefined, max = 120) => JSON.stringify((s ?? '').slice(0, max));

/** Counts and logs a refused request or connection. */
export function refuse(r: WebReporter | undefined, status: number, reason: HttpRefusalReason, remote: string | undefined, detail: string): void {
  if (!r) return;
  r.stats.refused[reason]++;
  const client = remote === undefined ? undefined : clientKey(remote);
  r.log.debug({ event: 'http-refused', status, reason, client: remote }, `HTTP ${status} (${reason}) to ${remote ?? 'a client'}: ${detail}`);
  r.refusals.note(`${status} ${reason}`, client);
}

/** The path of a request target: origin-form "/p?q" or absolute-form "http://h/p"; null if neither. */
export function targetPath(url: string | undefined): string | null {
  if (!url) return null;
  if (url.startsWith('/')) {
    const end = url.search(/[?#]/);
    return end < 0 ? url : url.slice(0, end);
  }
  if (!/^https?:\/\//i.test(url)) return null;
  try {
    return new URL(url).pathname;
  } catch {
    return null;
  }
}


const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function landingPage(version: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>dupip</title></head>
<body>
<h1>dupip</h1>
<p>Duplicate IPv4 address detection (RFC 5227), version ${escapeHtml(version)}.</p>
<ul>
<li><a href="metrics">Metrics</a></li>
<li><a href="healthz">Health</a></li>
</ul>
</body>
</html>
`;
}

export function createHandler(ep: WebEndpoints, opts: RouteOptions) {
  const reporter = opts.reporter;
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const remote = req.socket.remoteAddress;
    for (const [k, v] of Object.entries(opts.headers)) res.setHeader(k, v);
    const send = (status: number, body: string | Buffer, type = 'text/plain; charset=utf-8', extra: Record<string, string> = {}) => {
      res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), ...extra });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    // Refusals close the connection (its slot is freed, an unread body is not read), except 401:
    // a browser answers the challenge on the same connection.
    const refused = (status: number, reason: HttpRefusalReason, body: string, extra: Record<string, string> = {}) => {
      refuse(reporter, status, reason, remote, `${req.method} ${shown(req.url)}`);
      send(status, body, undefined, status === 401 ? extra : { Connection: 'close', ...extra });
    };
    try {
      const path = targetPath(req.url);
      if (path === null) return refused(400, 'bad-request', 'bad request target\n');
      if (opts.auth?.enabled) {
        const result = await opts.auth.check(req.headers.authorization, clientKey(remote));
        if (result === 'throttled') return refused(429, 'throttled', 'too many authentication attempts\n', { 'Retry-After': '1' });
        if (result !== 'ok') return refused(401, 'unauthorized', 'Unauthorized\n', { 'WWW-Authenticate': 'Basic realm="dupip", charset="UTF-8"' });
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') return refused(405, 'method', 'method not allowed\n', { Allow: 'GET, HEAD' });
      const length = req.headers['content-length'];
      if ((length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined) return refused(413, 'too-large', 'request bodies are not accepted\n');
      switch (path) {
        case '/':
          return send(200, landingPage(ep.version), 'text/html; charset=utf-8');
        case '/metrics':
          return send(200, await ep.metrics(), ep.metricsContentType);
        case '/healthz': {
          const h = ep.healthy();
          return h ? send(200, 'ok\n') : send(503, h === null ? 'starting\n' : 'unhealthy: an interface has no open socket or probes are not going out\n');
        }
        default:
          return refused(404, 'not-found', 'not found\n');
      }
    } catch (err) {
      try {
        // One report per fault: the daemon's guard (logs with the stack and counts it) when wired,
        // else the listener's own rate-limited log.
        if (opts.onError) opts.onError(err as Error);
        else reporter?.errors.note('internal', remote === undefined ? undefined : clientKey(remote), err as Error);
      } finally {
        if (!res.headersSent) send(500, 'internal error\n', undefined, { Connection: 'close' });
        else res.destroy();
      }
    }
  };
}

/** The reporter the daemon uses: counters in `stats`, lines through `log` (a pino logger). */
export function webReporter(stats: ServerStats, log: WebLog): WebReporter {
  return { stats, log, refusals: refusalThrottle(log), errors: errorThrottle(log, 'http') };
}
