/**
 * The HTTP(S) listeners: one server per --web.listen-address, TLS and client certificates as the
 * web config says (exporter-toolkit semantics). Listening failures (port in use, no permission)
 * are reported with the address and refuse the start.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { parseListenAddress } from '../config/schema.js';
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
    handshakeTimeout: 10_000,
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
): Promise<WebServer> {
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
      const server = tls ? createHttpsServer(tlsOptions(tls), cb) : createHttpServer(cb);
      server.headersTimeout = 10_000;
      server.requestTimeout = 30_000;
      server.maxHeadersCount = 50;
      if (tls && (tls.clientAuthType === 'RequireAnyClientCert' || tls.clientAuthType === 'VerifyClientCertIfGiven')) {
        server.on('secureConnection', (socket: TLSSocket) => {
          if (!clientCertAllowed(tls, socket)) socket.destroy();
        });
      }
      server.on('tlsClientError', () => {}); // a failed handshake is the client's problem, not a daemon error
      server.on('clientError', (_err, socket) => socket.destroy());
      servers.push(server);
      addresses.push(await listen(server, address));
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
