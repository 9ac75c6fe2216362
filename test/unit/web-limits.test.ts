/**
 * The HTTP server against misbehaving clients, on loopback: malformed and unknown requests answer
 * 4xx (never 500) with per-request lines at debug and at most one warn line; the connection cap
 * refuses a flood from one client and makes room for another; internal errors are rate-limited.
 */
import { request as httpRequest } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ServerStats } from '../../src/metrics/servers.js';
import { clientKey } from '../../src/web/connections.js';
import { createHandler, targetPath, webReporter, type WebEndpoints, type WebReporter } from '../../src/web/routes.js';
import { type WebServer, startWebServer } from '../../src/web/server.js';
import { Throttle } from '../../src/web/throttled-log.js';

interface Line {
  level: 'debug' | 'warn' | 'error';
  obj: Record<string, unknown>;
  msg: string;
}

function recorder() {
  const lines: Line[] = [];
  const at = (level: Line['level']) => (obj: object, msg: string) => lines.push({ level, obj: obj as Record<string, unknown>, msg });
  return { lines, log: { debug: at('debug'), warn: at('warn'), error: at('error') } };
}

let failMetrics = false;
const endpoints: WebEndpoints = {
  version: '9.9.9',
  metrics: async () => {
    if (failMetrics) throw new Error('registry broke');
    return 'dupip_build_info 1\n';
  },
  metricsContentType: 'text/plain; version=0.0.4; charset=utf-8',
  healthy: () => true,
};

/** Sends raw bytes and resolves with everything the server answered until it closed. */
function raw(port: number, text: string, local = '127.0.0.1'): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1', localAddress: local });
    let out = '';
    s.setEncoding('utf8').on('data', (d: string) => (out += d));
    s.on('connect', () => s.write(text));
    s.on('close', () => resolve(out));
    s.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' ? resolve(out) : reject(e)));
    setTimeout(() => s.destroy(), 5000);
  });
}

function get(port: number, path: string, local = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, localAddress: local, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('malformed and unknown requests', () => {
  let web: WebServer;
  let reporter: WebReporter;
  const rec = recorder();
  beforeAll(async () => {
    reporter = webReporter(new ServerStats(), rec.log);
    web = await startWebServer(['127.0.0.1:0'], null, createHandler(endpoints, { auth: null, headers: {}, reporter }), undefined, undefined, { reporter });
  });
  afterAll(async () => {
    await web.close();
    reporter.refusals.close();
    reporter.errors.close();
  });
  const port = () => web.addresses[0]!.port;

  it('answer 4xx, never 500, each counted by reason', async () => {
    const cases: Array<[string, RegExp]> = [
      ['GET // HTTP/1.1\r\nHost: x\r\n\r\n', /^HTTP\/1\.1 404 /],
      ['GET //metrics?x HTTP/1.1\r\nHost: x\r\n\r\n', /^HTTP\/1\.1 404 /],
      ['GET http://[bad/ HTTP/1.1\r\nHost: x\r\n\r\n', /^HTTP\/1\.1 400 /],
      ['OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n', /^HTTP\/1\.1 400 /],
      ['BREW /metrics HTTP/1.1\r\nHost: x\r\n\r\n', /^HTTP\/1\.1 400 /],
      ['DELETE /metrics HTTP/1.1\r\nHost: x\r\n\r\n', /^HTTP\/1\.1 405 /],
      ['GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello', /^HTTP\/1\.1 413 /],
      [`GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(9000)}\r\n\r\n`, /^HTTP\/1\.1 431 /],
      ['\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03', /^HTTP\/1\.1 400 /], // a TLS hello to the plain port
      ['GET /metrics HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n', /^HTTP\/1\.1 400 /],
    ];
    for (const [text, want] of cases) expect(await raw(port(), text), JSON.stringify(text.slice(0, 40))).toMatch(want);
    expect(await get(port(), '/metrics?foo=bar')).toBe(200);
    expect(reporter.stats.refused).toMatchObject({ 'not-found': 2, 'bad-request': 5, method: 1, 'too-large': 2 });
    expect(rec.lines.filter((l) => l.level === 'error')).toEqual([]);
  });

  it('300 bad requests: one debug line each, one warn line in all, no error line', async () => {
    const before = rec.lines.length;
    for (let i = 0; i < 30; i++) await Promise.all(Array.from({ length: 10 }, (_, j) => raw(port(), `GET /${i % 2 ? '/' : 'nope'}${j} HTTP/1.1\r\nHost: x\r\n\r\n`)));
    const lines = rec.lines.slice(before);
    expect(lines.filter((l) => l.level === 'debug')).toHaveLength(300);
    expect(lines.filter((l) => l.level !== 'debug')).toEqual([]); // the first test already opened the summary window
    expect(rec.lines.filter((l) => l.level === 'warn')).toHaveLength(1);
    expect(rec.lines.find((l) => l.level === 'warn')!.msg).toMatch(/^HTTP: refused 404 not-found from 127\.0\.0\.1; further refusals are summarised every 60 s/);
  }, 30_000);

  it('an internal error answers 500 and is logged with its stack', async () => {
    failMetrics = true;
    try {
      expect(await get(port(), '/metrics')).toBe(500);
      expect(await get(port(), '/metrics')).toBe(500);
    } finally {
      failMetrics = false;
    }
    const errors = rec.lines.filter((l) => l.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]!.obj.stack).toMatch(/registry broke\n\s+at /);
  });

  it('targetPath: origin-form and absolute-form, nothing else', () => {
    expect(targetPath('/metrics?x=1')).toBe('/metrics');
    expect(targetPath('//')).toBe('//');
    expect(targetPath('http://h:1/healthz')).toBe('/healthz');
    expect(targetPath('*')).toBeNull();
    expect(targetPath('example.org:443')).toBeNull();
    expect(targetPath('http://[x/')).toBeNull();
  });
});

describe('the connection cap', () => {
  const sockets: Socket[] = [];
  afterEach(() => sockets.splice(0).forEach((s) => s.destroy()));

  const open = (port: number, local: string) =>
    new Promise<Socket>((resolve, reject) => {
      const s = connect({ port, host: '127.0.0.1', localAddress: local }, () => resolve(s));
      s.on('error', () => {});
      s.once('error', reject);
      sockets.push(s);
    });
  const closed = (s: Socket) => new Promise<void>((resolve) => (s.destroyed ? resolve() : s.once('close', () => resolve())));

  it('refuses a flood from one client at the cap, and makes room for another client', async () => {
    const reporter = webReporter(new ServerStats(), recorder().log);
    const web = await startWebServer(['127.0.0.1:0'], null, createHandler(endpoints, { auth: null, headers: {}, reporter }), undefined, undefined, { maxConnections: 4, reporter });
    try {
      const port = web.addresses[0]!.port;
      const flood = await Promise.all(Array.from({ length: 4 }, () => open(port, '127.0.0.1')));
      await vi.waitFor(() => expect(reporter.stats.open.http).toBe(4));
      const extra = await Promise.all(Array.from({ length: 6 }, () => open(port, '127.0.0.1')));
      await Promise.all(extra.map(closed));
      expect(reporter.stats.rejected.http).toBe(6);
      expect(flood.every((s) => !s.destroyed)).toBe(true);
      // Another client: the flooder's oldest connection makes room.
      expect(await get(port, '/metrics', '127.0.0.2')).toBe(200);
      await closed(flood[0]!);
      expect(reporter.stats.evicted.http).toBe(1);
      expect(flood.slice(1).every((s) => !s.destroyed)).toBe(true);
      await vi.waitFor(() => expect(reporter.stats.open.http).toBe(3));
    } finally {
      await web.close();
      reporter.refusals.close();
    }
  });

  it('a client is its IPv4 address or its IPv6 /64', () => {
    expect(clientKey('192.0.2.1')).toBe('192.0.2.1');
    expect(clientKey('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(clientKey('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientKey('::1')).toBe('0:0:0:0::/64');
    expect(clientKey(undefined)).toBe('unknown');
  });
});

describe('Throttle', () => {
  afterEach(() => vi.useRealTimers());

  it('the first at once, then one summary per interval while it lasts, then quiet', () => {
    vi.useFakeTimers();
    const out: string[] = [];
    const t = new Throttle((kind) => out.push(`first ${kind}`), (tally) => out.push(`summary ${tally.total} ${tally.describe()}`), 1000);
    for (let i = 0; i < 500; i++) t.note(i % 2 ? '404' : '400', `c${i % 3}`);
    expect(out).toEqual(['first 400']);
    vi.advanceTimersByTime(1000);
    expect(out).toEqual(['first 400', 'summary 499 404: 250, 400: 249; from 3 client(s)']);
    vi.advanceTimersByTime(1000); // nothing new: no line, the window closes
    expect(out).toHaveLength(2);
    t.note('404', 'c1');
    expect(out.at(-1)).toBe('first 404');
    t.close();
  });
});
