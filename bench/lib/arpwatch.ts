/**
 * arpwatch (Debian 2.1a15) as the passive anchor, in the same lab host as dupip:
 *
 *   stdbuf -oL arpwatch -d -N -i eth0 -f DIR/arp.dat [-n NET/24 ...]
 *
 *   -d   debug: stay in the foreground and print each report (the e-mail it would send) on stdout
 *        instead of mailing it; stdbuf -oL flushes every line, so the pipe adds no delay of its own
 *   -N   no "bogon" reports
 *   -n   extra local networks (addresses outside them are bogons and otherwise ignored)
 *   -f   the station database; pre-filled with the legitimate holder of each address, as on a
 *        host where arpwatch has been running for a while (a hijack is then "changed ethernet
 *        address", not "new station")
 *
 * A report is a block "From: … / To: … / Subject: <what> (<ip>) <if> / … ethernet address: <mac> …";
 * it is timed when its Subject line is read.
 */
import type { ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { terminate } from '../../test/lab/exec.js';
import type { LabHost } from '../../test/lab/lab.js';
import { delay, eachLine, now, scratchDir } from './util.js';

export interface ArpwatchReport {
  kind: string;
  ip: string;
  readAt: number;
}

export interface ArpwatchOptions {
  /** address → MAC pairs to pre-load into arp.dat */
  known?: ReadonlyArray<{ ip: string; mac: string }>;
  /** extra local networks, e.g. "198.51.100.0/24" */
  nets?: string[];
  /** discard stdout and stderr (floods: megabytes per second) instead of parsing them */
  discardOutput?: boolean;
}

const SUBJECT = /^Subject: (.+?) \((\d+\.\d+\.\d+\.\d+)\)/;

export class Arpwatch {
  readonly reports: ArpwatchReport[] = [];
  readonly stderr: string[] = [];
  private listeners = new Set<(r: ArpwatchReport) => void>();

  private constructor(
    readonly child: ChildProcess,
    readonly dir: string,
  ) {
    eachLine(child.stdout, (line, readAt) => {
      const m = SUBJECT.exec(line);
      if (!m) return;
      const r = { kind: m[1]!, ip: m[2]!, readAt };
      this.reports.push(r);
      for (const l of this.listeners) l(r);
    });
    child.stderr?.setEncoding('utf8').on('data', (c: string) => this.stderr.push(c));
  }

  get pid(): number {
    return this.child.pid!; // ip netns exec → stdbuf → arpwatch, each exec()s the next
  }

  static async start(host: LabHost, opts: ArpwatchOptions = {}): Promise<Arpwatch> {
    const dir = scratchDir('arpwatch-bench-');
    const dat = join(dir, 'arp.dat');
    const stamp = Math.floor(Date.now() / 1000);
    writeFileSync(dat, (opts.known ?? []).map((k) => `${k.mac}\t${k.ip}\t${stamp}\t\t${host.ifname}\n`).join(''));
    const args = ['-oL', 'arpwatch', '-d', '-N', '-i', host.ifname, '-f', dat, ...(opts.nets ?? []).flatMap((n) => ['-n', n])];
    // Discarded output goes to /dev/null: under a flood arpwatch writes a report or a syslog-style
    // line ("ethernet mismatch") per frame, which the harness must not buffer.
    const out = opts.discardOutput ? 'ignore' : 'pipe';
    const child = host.spawn('stdbuf', args, { stdio: ['ignore', out, out] });
    const aw = new Arpwatch(child, dir);
    // arpwatch says nothing when it is ready; give libpcap a moment to open and filter.
    const t0 = now();
    while (now() - t0 < 500) {
      if (child.exitCode !== null) throw new Error(`bench: arpwatch exited (${child.exitCode}): ${aw.stderr.join('')}`);
      await delay(50);
    }
    return aw;
  }

  subscribe(fn: (r: ArpwatchReport) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Stops arpwatch and removes its database directory. */
  async stop(): Promise<void> {
    await terminate(this.child);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
