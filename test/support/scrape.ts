/** Scraping the daemon's HTTP endpoint from inside its lab host (curl), and running `dupip status`. */
import type { LabHost } from '../lab/lab.js';
import type { DaemonProc } from './daemon-proc.js';
import { BIN } from './dupip.js';
import { runCollect } from './run.js';

/** host:port the daemon logged it listens on (the first listen address). */
export async function metricsAddress(d: DaemonProc): Promise<string> {
  const l = await d.waitFor((x) => x.event === 'listening', 10_000);
  return (l.addresses as string[])[0]!;
}

export interface Fetched {
  status: number;
  body: string;
}

/** GET over curl inside the host's namespace; extra curl args for TLS and credentials. */
export async function fetchIn(host: LabHost, url: string, curlArgs: string[] = []): Promise<Fetched> {
  const r = await host.exec('curl', ['-sS', '--max-time', '10', '-w', '\n%{http_code}', ...curlArgs, url], { timeoutMs: 15_000 });
  if (r.code !== 0) throw new Error(`curl ${url}: exit ${r.code}: ${r.stderr.trim()}`);
  const nl = r.stdout.lastIndexOf('\n');
  return { status: Number(r.stdout.slice(nl + 1)), body: r.stdout.slice(0, nl) };
}

export async function scrape(host: LabHost, address: string): Promise<string> {
  const r = await fetchIn(host, `http://${address}/metrics`);
  if (r.status !== 200) throw new Error(`scrape: HTTP ${r.status}: ${r.body}`);
  return r.body;
}

/** Sample lines (no comments) of an exposition. */
export function samples(text: string): string[] {
  return text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
}

/** The value of the one sample whose line starts with `prefix` (name plus labels), or undefined. */
export function value(text: string, prefix: string): number | undefined {
  const line = samples(text).find((l) => l.startsWith(prefix));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** `dupip status` in this machine's namespace (the control socket is a file). */
export function status(args: string[]) {
  return runCollect(process.execPath, [BIN, 'status', ...args]);
}

/** VmRSS of a process in bytes. */
export async function rssBytes(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(await readFile(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]) * 1024;
}

export async function until<T>(what: string, f: () => Promise<T | undefined | null | false>, timeoutMs = 10_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await f();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
