/** Asks the daemon over its control socket; failures say which socket and why. */
import { connect } from 'node:net';
import type { ControlRequest } from './protocol.js';

export class ControlUnreachable extends Error {
  override name = 'ControlUnreachable';
  constructor(
    readonly path: string,
    readonly code: string,
    readonly reason: string,
  ) {
    super(`cannot reach the dupip daemon at ${path}: ${reason}`);
  }
}

export function explain(code: string | undefined, fallback: string): string {
  switch (code) {
    case 'ENOENT':
      return 'no such socket (is "dupip daemon" running? another path can be given with --control-socket)';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied (run as root or as a member of the socket\'s group)';
    case 'ECONNREFUSED':
      return 'connection refused (a stale socket: the daemon is not running)';
    case 'ENOTSOCK':
      return 'not a socket';
    case 'ETIMEDOUT':
      return 'no answer in time (the daemon is stuck or overloaded)';
    default:
      return fallback;
  }
}

const MAX_REPLY_BYTES = 16 * 1024 * 1024;

export function controlRequest(path: string, request: ControlRequest, timeoutMs = 5000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const fail = (code: string, fallback: string) => {
      clearTimeout(timer);
      socket.destroy();
      reject(new ControlUnreachable(path, code, explain(code, fallback)));
    };
    const socket = connect(path);
    const timer = setTimeout(() => fail('ETIMEDOUT', 'timed out'), timeoutMs);
    let reply = '';
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(`${JSON.stringify(request)}\n`));
    socket.on('data', (d: string) => {
      reply += d;
      if (reply.length > MAX_REPLY_BYTES) fail('EMSGSIZE', 'the answer is too large');
    });
    socket.on('error', (err: NodeJS.ErrnoException) => fail(err.code ?? 'EIO', err.message));
    socket.on('end', () => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(reply));
      } catch {
        reject(new ControlUnreachable(path, 'EPROTO', `the answer is not JSON: ${JSON.stringify(reply.slice(0, 80))}`));
      }
    });
  });
}
