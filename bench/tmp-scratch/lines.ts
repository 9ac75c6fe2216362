import { makeContainerHost, startChurn } from '../../test/lab/containers.js';
import { Lab } from '../../test/lab/lab.js';
import { BenchDaemon } from '../lib/daemon.js';
import { addAddresses } from '../lib/lab-extra.js';
import { measure } from '../lib/proc.js';
import { delay } from '../lib/util.js';
const N = Number(process.env.N ?? 50), RATE = Number(process.env.RATE ?? 5), S = Number(process.env.S ?? 10);
const lab = await Lab.create({ hosts: 2 });
try {
  const h0 = lab.host(0);
  await addAddresses(h0, ['192.0.2.1/24']);
  const c = await makeContainerHost(lab, h0, N);
  const d = await BenchDaemon.start(h0, { configYaml: `interfaces: [${[h0.ifname, ...c.names].join(', ')}]\n` });
  await delay(Number(process.env.WARM ?? 15000));
  const mark = d.lines.length;
  const churn = startChurn(h0, c, RATE);
  const u = await measure(d.pid, S * 1000);
  const done = await churn.stop();
  await delay(1000);
  const hist = new Map<string, number>();
  for (const l of d.lines.slice(mark)) hist.set(String(l.line.event), (hist.get(String(l.line.event)) ?? 0) + 1);
  console.log(JSON.stringify({ done, cpu: u.schedCorePercent, rss: u.rssMaxMb, hist: Object.fromEntries(hist) }));
  for (const l of d.lines.slice(mark, mark + 25)) console.log(l.line.event, l.line.msg);
  await d.stop();
} finally { await lab.destroy(); }
