/**
 * dupip demo: a lab segment in network namespaces, the real daemon on one host, a planted duplicate
 * of its address on another, then a split-brain floating address. Prints what dupip reports as it
 * happens and tears everything down at the end, also on Ctrl-C. Needs root (namespaces) and a built
 * tree; run it with `npm run demo`, which installs and builds what is missing first.
 */
import { delay } from '../test/lab/exec.js';
import { Lab } from '../test/lab/lab.js';
import { DaemonProc, type LogLine } from '../test/support/daemon-proc.js';
import { dupip } from '../test/support/dupip.js';

const tty = process.stdout.isTTY;
const paint = (code: string, s: string) => (tty ? `\x1b[${code}m${s}\x1b[0m` : s);
const bold = (s: string) => paint('1', s);
const t0 = Date.now();
const stamp = () => paint('2', `[+${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s]`);
const say = (s: string) => console.log(`${stamp()} ${s}`);
let flush = () => {};
const step = (s: string) => {
  flush();
  console.log(`\n${stamp()} ${bold(`▶ ${s}`)}`);
};

const OWN = '192.0.2.10';
const VIP = '198.51.100.10';

function show(l: LogLine, names: Map<string, string>): void {
  const who = (mac: unknown) => `${mac} (${names.get(String(mac)) ?? 'unknown host'})`;
  const macs = (l.macs as Array<{ mac: string }> | undefined)?.map((m) => who(m.mac)).join(', ');
  switch (l.event) {
    case 'state': {
      const colour = l.to === 'conflict' || l.to === 'split-brain' ? '31;1' : l.to === 'ok' ? '32' : '33';
      const holders = (l.holders as string[] | undefined)?.length ? ` — held by ${(l.holders as string[]).map(who).join(', ')}` : '';
      const ended = l.episodeEnd ? ` (episode over: ${(l.episodeMacs as string[]).map(who).join(', ')})` : '';
      say(`dupip: ${l.address} (${l.role}) ${l.from} → ${paint(colour, String(l.to).toUpperCase())}${macs ? ` — ${macs}` : holders}${ended}`);
      return;
    }
    case 'failover':
      say(`dupip: ${l.address} failover ${who(l.from)} → ${who(l.to)}`);
      return;
    case 'conflict-mac':
      say(`dupip: ${l.address} also claimed by ${macs}`);
      return;
    case 'watch-added':
      say(`dupip: monitoring ${l.address} on ${l.interface} (${l.role})`);
      return;
  }
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the demo builds network namespaces: run it as root');
  step('Building a lab segment: a bridge and 4 hosts, each in its own network namespace');
  // On Ctrl-C the lab's own signal handlers remove every namespace before the process ends.
  const lab = await Lab.create({ hosts: 4 });
  try {
    await story(lab);
  } finally {
    step('Tearing the lab down');
    await lab.destroy();
  }
}

async function story(lab: Lab): Promise<void> {
  const [db, vm, pg0, pg1] = lab.hosts as [typeof lab.hosts[0], typeof lab.hosts[0], typeof lab.hosts[0], typeof lab.hosts[0]];
  const names = new Map([
    [db.mac, 'db'],
    [vm.mac, 'forgotten-vm'],
    [pg0.mac, 'pgpool-0'],
    [pg1.mac, 'pgpool-1'],
  ]);
  for (const [mac, name] of names) say(`${name.padEnd(13)} ${mac}`);
  await db.addAddress(`${OWN}/24`);
  await db.addAddress('198.51.100.5/24');
  await vm.addAddress('192.0.2.99/24');
  await pg0.addAddress('198.51.100.20/24');
  await pg1.addAddress('198.51.100.21/24');
  await pg0.addAddress(`${VIP}/24`);

  step(`Starting dupip on "db" (${OWN}), also watching the pgpool VIP ${VIP} as a delegate`);
  const d = await DaemonProc.start(db, ['--probe-interval', '1s', '--clear-after', '2', '--delegate', VIP, '--log-level', 'info']);
  let shown = 0;
  flush = () => {
    for (; shown < d.lines.length; shown++) show(d.lines[shown]!, names);
  };
  const pump = setInterval(flush, 50);
  try {
    await d.waitFor(d.state(OWN, 'ok'), 5000);
    await d.waitFor((l) => l.event === 'state' && l.address === VIP && l.to === 'ok', 5000);

    step(`Planting a duplicate: the forgotten VM is given ${OWN} too (it sends nothing by itself)`);
    await vm.addAddress(`${OWN}/24`);
    await d.waitFor(d.state(OWN, 'conflict'), 5000);
    await delay(500);
    const probe = await dupip(db, ['probe', OWN, '--count', '2', '--timeout', '1s']);
    say(`$ dupip probe ${OWN}  (exit ${probe.code})\n${probe.stdout.trimEnd().replace(/^/gm, '            ')}`);

    step('The forgotten VM is switched off: the conflict clears after 2 clean probe rounds');
    const mark = d.mark;
    await vm.removeAddress(`${OWN}/24`);
    await d.waitFor(d.state(OWN, 'ok'), 8000, mark);

    step(`Split brain: pgpool-1 also brings up the VIP ${VIP} while pgpool-0 still holds it`);
    await pg1.addAddress(`${VIP}/24`);
    await d.waitFor(d.state(VIP, 'split-brain'), 5000);

    step('pgpool-0 steps down: one holder again, seen as a failover, not a conflict');
    await pg0.removeAddress(`${VIP}/24`);
    await d.waitFor((l) => l.event === 'failover' && l.address === VIP, 6000);
    await delay(300);
  } finally {
    clearInterval(pump);
    flush();
    await d.stop();
  }
}

main().then(
  () => console.log(`${stamp()} done: every namespace is gone`),
  (err) => {
    console.error(`demo failed: ${(err as Error).message}`);
    process.exitCode = 1;
  },
);
