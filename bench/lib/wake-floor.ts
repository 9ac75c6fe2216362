/**
 * bench/tools/wake-floor.c in a lab host: the machine's floor for "a claim on the wire → a process
 * has read it" (poll + recv, no work after). Built with the system's cc (the addon's build already
 * needs it) into a scratch directory; it only receives.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LabHost } from '../../test/lab/lab.js';
import { REPO } from './daemon.js';
import { eachLine } from './util.js';

export class WakeFloor {
  /** sender IPv4 → wall-clock ms of the first read of an ARP frame from it */
  readonly firstRead = new Map<string, number>();

  private constructor(
    private readonly dir: string,
    private readonly child: ReturnType<LabHost['spawn']>,
  ) {}

  static async start(host: LabHost): Promise<WakeFloor> {
    const dir = mkdtempSync(join(tmpdir(), 'dupip-wake-floor-'));
    const bin = join(dir, 'wake-floor');
    const cc = spawnSync('cc', ['-O2', '-Wall', '-o', bin, join(REPO, 'bench/tools/wake-floor.c')], { encoding: 'utf8' });
    if (cc.status !== 0) throw new Error(`bench: cannot build bench/tools/wake-floor.c: ${cc.stderr || cc.error?.message}`);
    const child = host.spawn(bin, [host.ifname], { stdio: ['ignore', 'pipe', 'pipe'] });
    const floor = new WakeFloor(dir, child);
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('bench: wake-floor did not start')), 5000);
      eachLine(child.stdout, (line) => {
        if (line === 'ready') {
          clearTimeout(t);
          resolve();
          return;
        }
        const [at, ip] = line.split(' ');
        if (ip && !floor.firstRead.has(ip)) floor.firstRead.set(ip, Number(at) * 1000);
      });
      child.once('exit', (code) => reject(new Error(`bench: wake-floor exited (${code})`)));
    });
    return floor;
  }

  stop(): void {
    this.child.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}
