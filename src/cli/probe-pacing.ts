/**
 * Paced sends, shared by the one-shot commands: `dupip probe` for IPv4 (probe.ts) and IPv6
 * (probe6.ts) spreads its probes over the timeout, `dupip scan` (scan.ts) paces requests at a rate.
 * A send that throws or is refused is kept as its reason; `sent(at)` hears each frame that went out.
 */
export const now = () => performance.now();
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Send k goes out at start + k × spacingMs (a send due within `earlyMs` goes out at once, so that
 * fast rates are sent in small batches rather than one timer each). Returns the failed sends' reasons.
 */
export async function paced(count: number, spacingMs: number, send: (k: number) => string, sent: (at: number) => void, earlyMs = 0): Promise<string[]> {
  const errors: string[] = [];
  const start = now();
  for (let k = 0; k < count; k++) {
    const due = start + k * spacingMs;
    if (due > now() + earlyMs) await sleep(due - now());
    let outcome: string;
    try {
      outcome = send(k);
    } catch (err) {
      outcome = (err as Error).message;
    }
    if (outcome === 'sent') sent(now());
    else errors.push(outcome);
  }
  return errors;
}

/** `count` sends spread evenly over `timeoutMs`, then listening until the timeout ends. */
export async function spreadProbes(count: number, timeoutMs: number, send: () => string, sent: (at: number) => void): Promise<string[]> {
  const end = now() + timeoutMs;
  const errors = await paced(count, timeoutMs / count, send, sent);
  if (end > now()) await sleep(end - now());
  return errors;
}
