/** Asks the daemon over its control socket; failures say which socket and why. */
import { connect } from 'node:net';
import { errnoReason } from '../platform/errno.js';
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
  return errnoReason(code, 'connect', fallback);
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
