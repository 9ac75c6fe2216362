/**
 * Node's HTTP server enforces headersTimeout and requestTimeout with an interval timer
 * (connectionsCheckingInterval) that runs from listen() on, whether a client is connected or not:
 * on an idle daemon that is one wake-up a second for nothing (issue 14). This pauses Node's own
 * checker while the server holds no connection and resumes it with the next one, so that the
 * timeouts are enforced exactly as before whenever there is a connection to enforce them on.
 *
 * It relies on Node's internal timer, found by its symbol's description; where it is not found
 * (another Node release), the checker is left running as it was.
 */
import type { Server } from 'node:net';

const SYMBOL = 'http.server.connectionsCheckingInterval';

interface NodeTimer {
  _onTimeout?: unknown;
  _repeat?: unknown;
}

/** Call after the server listens (Node starts its checker on 'listening'). True when the checker is now paused while idle. */
export function checkConnectionsOnlyWhenOpen(server: Server): boolean {
  const holder = server as unknown as Record<symbol, NodeTimer | undefined>;
  const key = Object.getOwnPropertySymbols(server).find((s) => s.description === SYMBOL);
  const timer = key === undefined ? undefined : holder[key];
  if (key === undefined || !timer || typeof timer._onTimeout !== 'function' || typeof timer._repeat !== 'number') return false;
  const check = timer._onTimeout as () => void;
  const period = timer._repeat;
  let open = 0;
  let closed = false;
  const pause = () => clearInterval(holder[key] as NodeJS.Timeout);
  server.on('connection', (socket: { once(e: 'close', f: () => void): void }) => {
    if (open++ === 0 && !closed) holder[key] = setInterval(check, period).unref() as unknown as NodeTimer;
    socket.once('close', () => {
      if (--open === 0) pause();
    });
  });
  server.once('close', () => {
    closed = true;
  });
  if (open === 0) pause();
  return true;
}
