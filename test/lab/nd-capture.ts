/**
 * A witness of Neighbor Discovery on a lab bridge: tcpdump's one-line summaries of NS and NA
 * (`-l -nn -e -tt`), parsed into time, Ethernet source, IPv6 source, kind and target. Shared by
 * the IPv6 e2e tests and the IPv6 benchmark scenario.
 */
import type { ChildProcess } from 'node:child_process';
import type { Lab } from './lab.js';

export interface NdSeen {
  /** seconds since the epoch, from tcpdump -tt */
  time: number;
  /** Ethernet source */
  src: string;
  /** IPv6 source in tcpdump's (RFC 5952) text */
  from: string;
  kind: 'ns' | 'na';
  target: string;
}

const sleep = (t: number) => new Promise((r) => setTimeout(r, t));
const LINE = /^(\d+\.\d+) ([0-9a-f:]{17}) > [0-9a-f:]{17}, .*?: (\S+) > \S+: ICMP6, neighbor (solicitation|advertisement), (?:who has|tgt is) ([0-9a-f:]+)/;

/** Starts tcpdump on the bridge for NS and NA; resolves once it listens. `onFrame` sees each as it comes. */
export async function ndCapture(lab: Lab, onFrame?: (f: NdSeen) => void): Promise<{ frames: NdSeen[]; stop(): Promise<NdSeen[]> }> {
  const child: ChildProcess = lab.bridge.spawn('tcpdump', ['-l', '-nn', '-e', '-tt', '-i', lab.bridge.ifname, 'icmp6 and (ip6[40] == 135 or ip6[40] == 136)']);
  const frames: NdSeen[] = [];
  let buf = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    const lines = buf.split('\n');
    buf = lines.pop()!;
    for (const l of lines) {
      const m = LINE.exec(l);
      if (!m) continue;
      const f: NdSeen = { time: Number(m[1]), src: m[2]!, from: m[3]!, kind: m[4] === 'solicitation' ? 'ns' : 'na', target: m[5]!.replace(/,$/, '') };
      frames.push(f);
      onFrame?.(f);
    }
  });
  let said = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tcpdump did not start: ${said}`)), 10_000);
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      said += d;
      if (said.includes('listening on')) (clearTimeout(timer), resolve());
    });
  });
  return {
    frames,
    stop: async () => {
      await sleep(300);
      child.kill('SIGINT');
      await new Promise((r) => child.once('exit', r));
      return frames;
    },
  };
}
