/**
 * The one-shot probe's pacing, shared by IPv4 (probe.ts) and IPv6 (probe6.ts): `count` sends
 * spread evenly over `timeoutMs`, then listening until the timeout ends. A send that throws or is
 * refused is kept as its reason; `sent(at)` hears each frame that went out.
 */
export const now = () => performance.now();
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function spreadProbes(count: number, timeoutMs: number, send: () => string, sent: (at: number) => void): Promise<string[]> {
  const errors: string[] = [];
  const spacing = timeoutMs / count;
  const start = now();
  for (let i = 0; i < count; i++) {
    const due = start + i * spacing;
    if (due > now()) await sleep(due - now());
    let outcome: string;
    try {
      outcome = send();
    } catch (err) {
      outcome = (err as Error).message;
    }
    if (outcome === 'sent') sent(now());
    else errors.push(outcome);
  }
  const end = start + timeoutMs;
  if (end > now()) await sleep(end - now());
  return errors;
}
