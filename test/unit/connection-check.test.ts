/**
 * src/web/connection-check.ts: Node's header/request timeout checker runs only while the server
 * holds a connection, and still enforces the timeouts when one is open.
 */
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { checkConnectionsOnlyWhenOpen } from '../../src/web/connection-check.js';

const checker = (s: Server) => {
  const key = Object.getOwnPropertySymbols(s).find((k) => k.description === 'http.server.connectionsCheckingInterval')!;
  return (s as unknown as Record<symbol, { _destroyed: boolean }>)[key]!;
};

let server: Server | null = null;
afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = null;
});

async function listening(): Promise<Server> {
  const s = createServer({ connectionsCheckingInterval: 50 }, (_req, res) => res.end('ok'));
  s.headersTimeout = 200;
  s.requestTimeout = 400;
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  server = s;
  return s;
}

describe('checkConnectionsOnlyWhenOpen', () => {
  it('pauses the checker while no client is connected and resumes it with a connection', async () => {
    const s = await listening();
    expect(checker(s)._destroyed).toBe(false);
    expect(checkConnectionsOnlyWhenOpen(s)).toBe(true);
    expect(checker(s)._destroyed).toBe(true);
    const socket = connect((s.address() as AddressInfo).port, '127.0.0.1');
    await new Promise<void>((r) => s.once('connection', () => setImmediate(r)));
    expect(checker(s)._destroyed).toBe(false);
    socket.destroy();
    await new Promise((r) => setTimeout(r, 50));
    expect(checker(s)._destroyed).toBe(true);
  });

  it('still answers a client that never finishes its headers with 408', async () => {
    const s = await listening();
    checkConnectionsOnlyWhenOpen(s);
    const socket = connect((s.address() as AddressInfo).port, '127.0.0.1');
    socket.write('GET /metrics HTTP/1.1\r\nHost: x\r\n'); // no blank line: the headers never end
    const started = Date.now();
    const reply = await new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (d) => (text += d.toString()));
      socket.on('close', () => resolve(text));
    });
    expect(reply).toMatch(/^HTTP\/1\.1 408/);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
