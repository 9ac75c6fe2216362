/** The HTTP endpoints: `/` (landing page), `/metrics`, `/healthz`; authentication first. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BasicAuth } from './basic-auth.js';

export interface WebEndpoints {
  version: string;
  metrics(): Promise<string>;
  metricsContentType: string;
  /** null before the daemon is running. */
  healthy(): boolean | null;
}

export interface RouteOptions {
  auth: BasicAuth | null;
  /** Extra response headers from the web config (http_server_config.headers). */
  headers: Record<string, string>;
  onError?: (err: Error) => void;
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
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    for (const [k, v] of Object.entries(opts.headers)) res.setHeader(k, v);
    const send = (status: number, body: string, type = 'text/plain; charset=utf-8', extra: Record<string, string> = {}) => {
      res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), ...extra });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    try {
      if (opts.auth?.enabled) {
        const result = await opts.auth.check(req.headers.authorization);
        if (result === 'busy') return send(429, 'too many authentication attempts\n', undefined, { 'Retry-After': '1' });
        if (result !== 'ok') return send(401, 'Unauthorized\n', undefined, { 'WWW-Authenticate': 'Basic realm="dupip", charset="UTF-8"' });
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed\n', undefined, { Allow: 'GET, HEAD' });
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
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
          return send(404, 'not found\n');
      }
    } catch (err) {
      opts.onError?.(err as Error);
      if (!res.headersSent) send(500, 'internal error\n');
      else res.destroy();
    }
  };
}
