/**
 * The control socket: a Unix domain socket (mode 0660, parent directory created 0750) serving one
 * JSON request per connection. A stale socket file left by a killed daemon is removed at start; a
 * socket another daemon still answers on, or a path that is not a socket, refuses the start.
 */
import { chmodSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import { type Server, type Socket, connect, createServer } from 'node:net';
import { dirname } from 'node:path';
import { type ControlErrorReply, type ControlRequest, MAX_REQUEST_BYTES } from './protocol.js';

export type ControlHandler = (request: ControlRequest) => unknown;

export interface ControlServer {
  readonly path: string;
  close(): Promise<void>;
}

const REQUEST_TIMEOUT_MS = 5000;

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

function serve(socket: Socket, handle: ControlHandler, onError: (err: Error) => void): void {
  let buf = '';
  let done = false;
  socket.setEncoding('utf8');
  socket.setTimeout(REQUEST_TIMEOUT_MS, () => socket.destroy());
  socket.on('error', () => {}); // a client that went away
  const answer = (request: string) => {
    if (done) return;
    done = true;
    const parsed = parseRequest(request);
    let reply: unknown;
    try {
      reply = 'error' in parsed ? parsed : handle(parsed);
    } catch (err) {
      onError(err as Error);
      reply = { error: `internal error: ${(err as Error).message}` };
    }
    socket.end(`${JSON.stringify(reply)}\n`);
  };
  socket.on('data', (chunk: string) => {
    buf += chunk;
    const nl = buf.indexOf('\n');
    if (nl >= 0) answer(buf.slice(0, nl));
    else if (buf.length > MAX_REQUEST_BYTES) {
      done = true;
      socket.end(`${JSON.stringify({ error: 'request too long' })}\n`);
    }
  });
  socket.on('end', () => answer(buf));
}

export async function startControlServer(path: string, handle: ControlHandler, onError: (err: Error) => void = () => {}): Promise<ControlServer> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o750 });
  await clearStale(path);
  const server: Server = createServer((socket) => serve(socket, handle, onError));
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
