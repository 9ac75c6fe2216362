/**
 * The control socket: a Unix domain socket (mode 0660, parent directory created 0750) serving one
 * JSON request per connection. A stale socket file left by a killed daemon is removed at start; a
 * socket another daemon still answers on, or a path that is not a socket, refuses the start.
 *
 * Bounded against its clients: at most MAX_CONNECTIONS at once (more are closed at once and
 * counted), a request line of at most MAX_REQUEST_BYTES, nothing read after it, and every
 * connection closed REQUEST_DEADLINE_MS after it was accepted, answered or not.
 */
import { chmodSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import { type Server, type Socket, connect, createServer } from 'node:net';
import { dirname } from 'node:path';
import type { ServerStats } from '../metrics/servers.js';
import { type ControlErrorReply, type ControlRequest, MAX_REQUEST_BYTES } from './protocol.js';

export type ControlHandler = (request: ControlRequest) => unknown;

export interface ControlServer {
  readonly path: string;
  close(): Promise<void>;
}

/** `dupip status` needs one; a few more for scripts polling it. */
export const MAX_CONNECTIONS = 16;
export const REQUEST_DEADLINE_MS = 5000;

export interface ControlLimits {
  maxConnections?: number;
  /** From accept to close, whatever the client does. */
  deadlineMs?: number;
  stats?: ServerStats;
}

/** Resolves true when something accepts connections on `path`. */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const s = connect(path);
    const timer = setTimeout(() => {
      s.destroy();
      resolve(true); // it accepted the connection into its backlog: alive, if busy
    }, 1000);
    s.once('connect', () => {
      clearTimeout(timer);
      s.destroy();
      resolve(true);
    });
    s.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (err.code === 'ECONNREFUSED' || err.code === 'ENOENT') resolve(false);
      else reject(err);
    });
  });
}

async function clearStale(path: string): Promise<void> {
  let st;
  try {
    st = lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (!st.isSocket()) throw new Error(`control socket ${path} exists and is not a socket; refusing to replace it`);
  if (await answers(path)) throw new Error(`control socket ${path} is in use: is another dupip daemon running?`);
  unlinkSync(path);
}

function parseRequest(text: string): ControlRequest | ControlErrorReply {
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch {
    return { error: 'the request is not JSON' };
  }
  if (typeof o === 'object' && o !== null && (o as { command?: unknown }).command === 'status') return { command: 'status' };
  return { error: `unknown command (known: status)` };
}

function serve(socket: Socket, handle: ControlHandler, onError: (err: Error) => void, deadlineMs: number): void {
  let buf = '';
  let done = false;
  socket.setEncoding('utf8');
  const deadline = setTimeout(() => socket.destroy(), deadlineMs);
  socket.on('close', () => clearTimeout(deadline));
  socket.on('error', () => {}); // a client that went away
  /** Replies once and stops reading: whatever the client sends after its request is never buffered. */
  const reply = (answer: () => unknown) => {
    if (done) return;
    done = true;
    socket.off('data', onData);
    socket.pause();
    buf = '';
    let text: string;
    try {
      text = JSON.stringify(answer());
    } catch (err) {
      onError(err as Error);
      text = JSON.stringify({ error: `internal error: ${(err as Error).message}` });
    }
    socket.end(`${text}\n`, () => socket.destroy());
  };
  const answer = (request: string) => () => {
    const parsed = parseRequest(request);
    return 'error' in parsed ? parsed : handle(parsed);
  };
  const onData = (chunk: string) => {
    const nl = chunk.indexOf('\n');
    const size = buf.length + (nl >= 0 ? nl : chunk.length);
    if (size > MAX_REQUEST_BYTES) return reply(() => ({ error: 'request too long' }));
    if (nl >= 0) return reply(answer(buf + chunk.slice(0, nl)));
    buf += chunk;
  };
  socket.on('data', onData);
  socket.on('end', () => reply(answer(buf)));
}

export async function startControlServer(
  path: string,
  handle: ControlHandler,
  onError: (err: Error) => void = () => {},
  limits: ControlLimits = {},
): Promise<ControlServer> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o750 });
  await clearStale(path);
  const stats = limits.stats;
  const server: Server = createServer((socket) => {
    if (stats) {
      stats.open.control++;
      socket.once('close', () => stats.open.control--);
    }
    serve(socket, handle, onError, limits.deadlineMs ?? REQUEST_DEADLINE_MS);
  });
  server.maxConnections = limits.maxConnections ?? MAX_CONNECTIONS;
  server.on('drop', () => stats && stats.rejected.control++);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(new Error(`cannot create the control socket ${path}: ${err.code === 'EACCES' ? 'permission denied' : err.message}`)));
    // The socket is created by listen(); a tight umask keeps it from ever being wider than 0660.
    let previous: number | null = null;
    try {
      previous = process.umask(0o117);
    } catch {
      /* worker threads cannot change the umask; chmod below still applies */
    }
    try {
      server.listen(path, resolve);
    } finally {
      if (previous !== null) process.umask(previous);
    }
  });
  chmodSync(path, 0o660);
  const ino = lstatSync(path).ino;
  server.on('error', onError);
  return {
    path,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        try {
          // Only our own socket: a successor may already have replaced it.
          if (lstatSync(path).ino === ino) unlinkSync(path);
        } catch {
          /* already gone */
        }
      }),
  };
}
