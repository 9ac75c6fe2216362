/**
 * The HTTP(S) listeners: one server per --web.listen-address, TLS and client certificates as the
 * web config says (exporter-toolkit semantics). Listening failures (port in use, no permission)
 * are reported with the address and refuse the start.
 *
 * Bounded against clients: at most `maxConnections` connections over all listeners, shared fairly
 * (connections.ts); headers within 5 s, the whole request within 10 s, 30 s without progress ends a
 * connection, an idle keep-alive connection is closed after 20 s; headers at most 8 KiB; no bodies.
 * A malformed request is answered 400 (431 for oversized headers, 408 for a timeout), never 500.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse, STATUS_CODES } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { parseListenAddress } from '../config/schema.js';
import type { HttpRefusalReason } from '../metrics/servers.js';
import { checkConnectionsOnlyWhenOpen } from './connection-check.js';
import { https } from './lazy-builtins.js';
import { ConnectionGate } from './connections.js';
import { refuse, type WebReporter } from './routes.js';
import { errnoReason } from '../platform/errno.js';
import { type ReloadResult, TlsReloader } from './tls-reload.js';
import type { WebTls } from './web-config-load.js';

export interface WebServer {
  /** Bound addresses, in the order of the listen addresses (port 0 resolved). */
  readonly addresses: AddressInfo[];
  /** Re-reads the TLS files if they changed (also done every reload.intervalMs). */
  reloadTls(): ReloadResult;
  close(): Promise<void>;
}

export interface TlsReloadOptions {
  /** The web config file, for messages. */
  configFile: string;
  log: { info(msg: string): void; error(msg: string): void };
  /** Default 60 s; 0 disables the timer (reloadTls() still works). */
  intervalMs?: number;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export const DEFAULT_MAX_CONNECTIONS = 64;
export const TIMEOUTS = { headersMs: 5_000, requestMs: 10_000, idleMs: 30_000, keepAliveMs: 20_000, handshakeMs: 5_000 } as const;
const MAX_HEADER_BYTES = 8 * 1024;

export interface WebLimits {
  /** Connections over all listeners; default DEFAULT_MAX_CONNECTIONS. */
  maxConnections?: number;
  reporter?: WebReporter;
}

function clientErrorStatus(code: string | undefined): [number, HttpRefusalReason] {
  if (code === 'HPE_HEADER_OVERFLOW') return [431, 'too-large'];
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT' || code === 'ERR_HTTP_HEADERS_TIMEOUT') return [408, 'timeout'];
  return [400, 'bad-request'];
}

/** A request Node's parser refused (bad method, bad header, oversized headers, timeout): 4xx, then close. */
function onClientError(reporter: WebReporter | undefined) {
  return (err: NodeJS.ErrnoException, socket: Socket) => {
    if (err.code === 'ECONNRESET' || err.code === 'EPIPE' || !socket.writable || socket.bytesWritten > 0) {
      socket.destroy();
      return;
    }
    const [status, reason] = clientErrorStatus(err.code);
    refuse(reporter, status, reason, socket.remoteAddress, err.code ?? err.message);
    socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`, () => socket.destroy());
  };
}

function contextOptions(tls: WebTls) {
  return {
    cert: tls.cert,
    key: tls.key,
    ...(tls.ca ? { ca: tls.ca } : {}),
    minVersion: tls.minVersion,
    ...(tls.maxVersion ? { maxVersion: tls.maxVersion } : {}),
  };
}

function tlsOptions(tls: WebTls) {
  return {
    ...contextOptions(tls),
    requestCert: tls.clientAuthType !== 'NoClientCert',
    rejectUnauthorized: tls.clientAuthType === 'RequireAndVerifyClientCert',
    handshakeTimeout: TIMEOUTS.handshakeMs,
  };
}

/** Client certificate policies Node's TLS options cannot express alone, checked once the handshake is done. */
function clientCertAllowed(tls: WebTls, socket: TLSSocket): boolean {
  const cert = socket.getPeerCertificate();
  const given = cert !== null && Object.keys(cert).length > 0;
  switch (tls.clientAuthType) {
    case 'RequireAnyClientCert':
      return given;
    case 'VerifyClientCertIfGiven':
      return !given || socket.authorized;
    default:
      return true;
  }
}

function describeListenError(address: string, err: NodeJS.ErrnoException): Error {
  const why = errnoReason(err.code, 'listen', err.message);
  return Object.assign(new Error(`cannot listen on ${address} (--web.listen-address): ${why}`), { code: err.code });
}

function listen(server: Server, address: string): Promise<AddressInfo> {
  const parsed = parseListenAddress(address);
  if (typeof parsed === 'string') return Promise.reject(new Error(`--web.listen-address: ${parsed}`));
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => reject(describeListenError(address, err));
    server.once('error', onError);
    const done = () => {
      server.off('error', onError);
      resolve(server.address() as AddressInfo);
    };
    if (parsed.host === '') server.listen(parsed.port, done);
    else server.listen(parsed.port, parsed.host, done);
  });
}

export async function startWebServer(
  listenAddresses: readonly string[],
  tls: WebTls | null,
  handler: Handler,
  onError?: (err: Error) => void,
  reload?: TlsReloadOptions,
  limits: WebLimits = {},
): Promise<WebServer> {
  const reporter = limits.reporter;
  const stats = reporter?.stats;
  const gate = new ConnectionGate(limits.maxConnections ?? DEFAULT_MAX_CONNECTIONS, {
    opened: () => stats && stats.open.http++,
    closed: () => stats && stats.open.http--,
    rejected: (client) => {
      if (!reporter) return;
      reporter.stats.rejected.http++;
      reporter.log.debug({ event: 'http-refused', reason: 'connection-cap', client }, `HTTP: connection from ${client} closed: at the cap of ${gate.max} connections`);
      reporter.refusals.note('connections at the cap', client);
    },
    evicted: (client) => {
      if (!reporter) return;
      reporter.stats.evicted.http++;
      reporter.log.debug({ event: 'http-refused', reason: 'connection-evicted', client }, `HTTP: closed a connection of ${client} (holding the most) to make room`);
      reporter.refusals.note('connections evicted', client);
    },
  });
  const servers: Server[] = [];
  const addresses: AddressInfo[] = [];
  let timer: NodeJS.Timeout | null = null;
  const close = async () => {
    if (timer) clearInterval(timer);
    await Promise.all(
      servers.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.close(() => resolve());
            s.closeAllConnections();
          }),
      ),
    );
  };
  try {
    for (const address of listenAddresses) {
      const cb = (req: IncomingMessage, res: ServerResponse) => void handler(req, res);
      const httpOptions = { maxHeaderSize: MAX_HEADER_BYTES, connectionsCheckingInterval: 1000 };
      const server = tls ? https().createServer({ ...tlsOptions(tls), ...httpOptions }, cb) : createHttpServer(httpOptions, cb);
      server.prependListener('connection', (socket: Socket) => gate.admit(socket));
      server.headersTimeout = TIMEOUTS.headersMs;
      server.requestTimeout = TIMEOUTS.requestMs;
      server.keepAliveTimeout = TIMEOUTS.keepAliveMs;
      server.setTimeout(TIMEOUTS.idleMs);
      server.maxHeadersCount = 50;
      if (tls && (tls.clientAuthType === 'RequireAnyClientCert' || tls.clientAuthType === 'VerifyClientCertIfGiven')) {
        server.on('secureConnection', (socket: TLSSocket) => {
          if (!clientCertAllowed(tls, socket)) socket.destroy();
        });
      }
      server.on('tlsClientError', () => {}); // a failed handshake is the client's problem, not a daemon error
      server.on('clientError', onClientError(reporter));
      servers.push(server);
      addresses.push(await listen(server, address));
      checkConnectionsOnlyWhenOpen(server); // no wake-up a second while nobody is connected
      if (onError) server.on('error', onError);
    }
  } catch (err) {
    await close();
    throw err;
  }
  const reloader = tls && reload ? new TlsReloader(tls, reload.configFile, (next) => {
    for (const s of servers) (s as unknown as { setSecureContext(o: object): void }).setSecureContext(contextOptions(next));
  }, reload.log) : null;
  const interval = reload?.intervalMs ?? 60_000;
  if (reloader && interval > 0) timer = setInterval(() => reloader.check(), interval).unref();
  return { addresses, close, reloadTls: () => reloader?.check() ?? 'unchanged' };
}
