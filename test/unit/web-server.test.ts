/** The HTTP(S) server on loopback, port 0: routes, basic auth, TLS and client certificates. */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect as tlsConnect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BasicAuth, parseBasicAuth } from '../../src/web/basic-auth.js';
import { createHandler, type WebEndpoints } from '../../src/web/routes.js';
import { type WebServer, startWebServer } from '../../src/web/server.js';
import { loadWebConfig } from '../../src/web/web-config-load.js';
import { requireTool } from '../support/prereq.js';
import { makeCerts, type TestCerts } from '../support/tls.js';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

interface Req {
  path?: string;
  method?: string;
  auth?: string;
  tls?: { ca: Buffer; cert?: Buffer; key?: Buffer };
}

function get(port: number, r: Req = {}): Promise<Reply> {
  const opts = {
    host: '127.0.0.1',
    port,
    path: r.path ?? '/metrics',
    method: r.method ?? 'GET',
    headers: r.auth ? { Authorization: `Basic ${Buffer.from(r.auth).toString('base64')}` } : {},
    ...(r.tls ? { ca: r.tls.ca, cert: r.tls.cert, key: r.tls.key, servername: 'localhost' } : {}),
    agent: false,
  };
  return new Promise((resolve, reject) => {
    const req = (r.tls ? httpsRequest : httpRequest)(opts, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

let healthy: boolean | null = true;
const endpoints: WebEndpoints = {
  version: '9.9.9',
  metrics: async () => 'dupip_build_info{version="9.9.9"} 1\n',
  metricsContentType: 'text/plain; version=0.0.4; charset=utf-8',
  healthy: () => healthy,
};
const HASH = bcrypt.hashSync('s3cret', 4);

describe('plain HTTP', () => {
  let web: WebServer;
  beforeAll(async () => {
    web = await startWebServer(['127.0.0.1:0'], null, createHandler(endpoints, { auth: null, headers: { 'X-Frame-Options': 'DENY' } }));
  });
  afterAll(() => web.close());
  const port = () => web.addresses[0]!.port;

  it('serves the landing page, metrics and health', async () => {
    const landing = await get(port(), { path: '/' });
    expect(landing.status).toBe(200);
    expect(landing.headers['content-type']).toMatch(/text\/html/);
    expect(landing.body).toMatch(/<a href="metrics">/);
    expect(landing.body).toMatch(/9\.9\.9/);
    expect(landing.headers['x-frame-options']).toBe('DENY');
    const m = await get(port());
    expect(m).toMatchObject({ status: 200, body: 'dupip_build_info{version="9.9.9"} 1\n' });
    expect(m.headers['content-type']).toBe(endpoints.metricsContentType);
    expect(await get(port(), { path: '/healthz' })).toMatchObject({ status: 200, body: 'ok\n' });
    healthy = false;
    expect((await get(port(), { path: '/healthz' })).status).toBe(503);
    healthy = null;
    expect(await get(port(), { path: '/healthz' })).toMatchObject({ status: 503, body: 'starting\n' });
    healthy = true;
  });

  it('404 elsewhere, 405 for other methods, HEAD without a body', async () => {
    expect((await get(port(), { path: '/nope' })).status).toBe(404);
    const post = await get(port(), { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
    expect(await get(port(), { method: 'HEAD' })).toMatchObject({ status: 200, body: '' });
  });

  it('a port in use refuses to start, naming the address', async () => {
    const addr = `127.0.0.1:${port()}`;
    await expect(startWebServer(['127.0.0.1:0', addr], null, () => {})).rejects.toThrow(
      `cannot listen on ${addr} (--web.listen-address): the address is already in use (another dupip or exporter?)`,
    );
  });
});

describe('basic auth', () => {
  let web: WebServer;
  let auth: BasicAuth;
  beforeAll(async () => {
    auth = new BasicAuth(new Map([['prometheus', HASH], ['other', bcrypt.hashSync('x', 4)]]));
    web = await startWebServer(['127.0.0.1:0'], null, createHandler(endpoints, { auth, headers: {} }));
  });
  afterAll(async () => {
    await web.close();
    await auth.close();
  });
  const port = () => web.addresses[0]!.port;

  it('refuses without, with wrong and with unknown credentials, on every path', async () => {
    for (const path of ['/', '/metrics', '/healthz']) {
      const r = await get(port(), { path });
      expect(r.status).toBe(401);
      expect(r.headers['www-authenticate']).toMatch(/^Basic realm="dupip"/);
    }
    expect((await get(port(), { auth: 'prometheus:wrong' })).status).toBe(401);
    expect((await get(port(), { auth: 'nobody:s3cret' })).status).toBe(401);
    expect((await get(port(), { auth: 'other:s3cret' })).status).toBe(401);
  });

  it('accepts the right credentials (twice: the second from the cache)', async () => {
    expect((await get(port(), { auth: 'prometheus:s3cret' })).status).toBe(200);
    expect((await get(port(), { auth: 'prometheus:s3cret' })).status).toBe(200);
    expect((await get(port(), { auth: 'prometheus:s3cret2' })).status).toBe(401);
  });

  it('parses the Authorization header', () => {
    expect(parseBasicAuth(`Basic ${Buffer.from('a:b:c').toString('base64')}`)).toEqual(['a', 'b:c']);
    expect(parseBasicAuth(`basic ${Buffer.from('a:').toString('base64')}`)).toEqual(['a', '']);
    expect(parseBasicAuth(`Basic ${Buffer.from('nocolon').toString('base64')}`)).toBeNull();
    expect(parseBasicAuth('Bearer xyz')).toBeNull();
    expect(parseBasicAuth(undefined)).toBeNull();
  });

  it('with no users, everything is allowed', async () => {
    expect(await new BasicAuth(new Map()).check(undefined)).toBe('ok');
  });
});

const needOpenssl = requireTool('openssl');
describe.skipIf(needOpenssl)(`TLS${needOpenssl ? ` [skipped: ${needOpenssl}]` : ''}`, () => {
  let dir: string;
  let certs: TestCerts;
  let ca: Buffer;
  const servers: WebServer[] = [];
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'dupip-tls-'));
    certs = makeCerts(dir);
    ca = certs.read(certs.caCert);
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  async function serve(yaml: string): Promise<number> {
    const f = join(dir, `web-${servers.length}.yml`);
    writeFileSync(f, yaml);
    const w = loadWebConfig(f);
    const s = await startWebServer(['127.0.0.1:0'], w.tls, createHandler(endpoints, { auth: new BasicAuth(w.users), headers: w.headers }));
    servers.push(s);
    return s.addresses[0]!.port;
  }

  it('serves HTTPS with basic auth: 401 without credentials, 200 with them', async () => {
    const port = await serve(`tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\nbasic_auth_users:\n  prometheus: '${HASH}'\n`);
    expect((await get(port, { tls: { ca } })).status).toBe(401);
    expect((await get(port, { tls: { ca }, auth: 'prometheus:s3cret' })).status).toBe(200);
    await expect(get(port)).rejects.toThrow(); // plain HTTP to a TLS port
  });

  it('RequireAndVerifyClientCert refuses a client without a certificate', async () => {
    const port = await serve('tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_ca_file: ca.crt\n  client_auth_type: RequireAndVerifyClientCert\n');
    await expect(get(port, { tls: { ca } })).rejects.toThrow();
    const ok = await get(port, { tls: { ca, cert: certs.read(certs.clientCert), key: certs.read(certs.clientKey) } });
    expect(ok.status).toBe(200);
  });

  it('RequireAnyClientCert refuses a client without a certificate', async () => {
    const port = await serve('tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_auth_type: RequireAnyClientCert\n');
    await expect(get(port, { tls: { ca } })).rejects.toThrow();
    expect((await get(port, { tls: { ca, cert: certs.read(certs.clientCert), key: certs.read(certs.clientKey) } })).status).toBe(200);
  });

  it('picks up a renewed certificate without a restart, and keeps the old one when the renewal is broken', async () => {
    const sub = join(dir, 'rotate');
    mkdirSync(sub);
    copyFileSync(certs.serverCert, join(sub, 'server.crt'));
    copyFileSync(certs.serverKey, join(sub, 'server.key'));
    const f = join(sub, 'web.yml');
    writeFileSync(f, 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n');
    const w = loadWebConfig(f);
    const log: string[] = [];
    const s = await startWebServer(['127.0.0.1:0'], w.tls, createHandler(endpoints, { auth: null, headers: {} }), undefined, {
      configFile: f,
      log: { info: (m) => log.push(m), error: (m) => log.push(m) },
      intervalMs: 0,
    });
    servers.push(s);
    const port = s.addresses[0]!.port;
    const fingerprint = () =>
      new Promise<string>((resolve, reject) => {
        const c = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
          resolve(c.getPeerCertificate().fingerprint256);
          c.end();
        });
        c.on('error', reject);
      });
    const first = await fingerprint();
    expect(s.reloadTls()).toBe('unchanged');
    const renewed = makeCerts(mkdtempSync(join(dir, 'renewed-')));
    copyFileSync(renewed.serverCert, join(sub, 'server.crt'));
    copyFileSync(renewed.serverKey, join(sub, 'server.key'));
    expect(s.reloadTls()).toBe('reloaded');
    const second = await fingerprint();
    expect(second).not.toBe(first);
    writeFileSync(join(sub, 'server.key'), 'garbage');
    expect(s.reloadTls()).toBe('failed');
    expect(await fingerprint()).toBe(second);
    expect(log[0]).toMatch(/^TLS certificate reloaded from /);
    expect(log[1]).toMatch(/^TLS files changed but are not usable, keeping the running certificate: /);
  });

  it('min_version TLS13 refuses a TLS 1.2 client', async () => {
    const port = await serve('tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  min_version: TLS13\n');
    const tls12 = new Promise((resolve, reject) => {
      const req = httpsRequest({ host: '127.0.0.1', port, path: '/', ca, servername: 'localhost', maxVersion: 'TLSv1.2', agent: false }, resolve);
      req.on('error', reject);
      req.end();
    });
    await expect(tls12).rejects.toThrow(/version|alert/i);
    expect((await get(port, { tls: { ca } })).status).toBe(200);
  });
});
