/**
 * A container host in the lab (issue 11): a lab host whose eth0 carries the default route (so it is
 * the uplink, as a NIC would be: docs/config.md "Which interfaces face the network"), and many
 * host-side veths whose peers live in a "containers" namespace, each with the same /32 gateway
 * address, as Cloud Foundry's silk CNI sets them up. A churn process replaces veths (delete, create,
 * address, up) at a given rate, as containers come and go. Documentation ranges only; nothing leaves
 * the lab's namespaces.
 */
import type { ChildProcess } from 'node:child_process';
import type { Lab, LabHost, LabNetns } from './lab.js';

/** The gateway address every container veth carries (silk uses 169.254.0.1; the lab may not). */
export const CONTAINER_GATEWAY = '203.0.113.1';

export const vethName = (i: number) => `s-${String(i).padStart(6, '0')}`;

export interface ContainerHost {
  containers: LabNetns;
  names: string[];
}

function vethCommands(i: number): string[] {
  const v = vethName(i);
  return [`link add ${v} type veth peer name c${i}`, `addr add ${CONTAINER_GATEWAY}/32 dev ${v}`, `link set ${v} up`];
}

/**
 * Gives `host` a default route through its segment interface (a gateway in its own /24) and `count`
 * container veths. The containers' namespace is created once per lab host.
 */
export async function makeContainerHost(lab: Lab, host: LabHost, count: number, gateway = '192.0.2.254'): Promise<ContainerHost> {
  await host.ipBatch([`route add default via ${gateway} dev ${host.ifname}`]);
  const containers = await lab.addNamespace(`c${host.index}`);
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const cmds = vethCommands(i);
    // The peer goes straight into the containers' namespace, as a CNI plugin moves it.
    cmds[0] = `${cmds[0]} netns ${containers.name}`;
    lines.push(...cmds);
  }
  for (let k = 0; k < lines.length; k += 600) await host.ipBatch(lines.slice(k, k + 600));
  // The container side up too, so the host side has carrier (operstate up), as with a running container.
  const up = Array.from({ length: count }, (_, i) => `link set c${i} up`);
  for (let k = 0; k < up.length; k += 600) await containers.ipBatch(up.slice(k, k + 600));
  return { containers, names: Array.from({ length: count }, (_, i) => vethName(i)) };
}

export interface Churn {
  /** Replacements done so far (counted from the script's output). */
  readonly done: number;
  stop(): Promise<number>;
}

/**
 * Replaces the container veths round-robin, `perSecond` a second: delete the host side (the peer
 * goes with it), create it again with its peer in the containers' namespace, address it, bring it up.
 */
export function startChurn(host: LabHost, c: ContainerHost, perSecond: number): Churn {
  const n = c.names.length;
  // One `ip -batch` per replacement; the loop paces itself against the clock, so slow rounds catch up.
  const script = `
i=0; start=$(date +%s%N); k=0
while :; do
  v=$(printf 's-%06d' $i)
  printf 'link del %s\\nlink add %s type veth peer name c%d netns %s\\naddr add ${CONTAINER_GATEWAY}/32 dev %s\\nlink set %s up\\n' $v $v $i ${c.containers.name} $v $v | ip -force -batch - >/dev/null 2>&1
  ip -n ${c.containers.name} link set c$i up >/dev/null 2>&1
  echo r
  k=$((k+1)); i=$(( (i+1) % ${n} ))
  due=$(( start + k * ${Math.round(1e9 / perSecond)} )); now=$(date +%s%N)
  if [ $due -gt $now ]; then sleep $(awk "BEGIN{print ($due-$now)/1e9}"); fi
done`;
  const child: ChildProcess = host.spawn('sh', ['-c', script], { stdio: ['ignore', 'pipe', 'ignore'] });
  let done = 0;
  child.stdout!.setEncoding('utf8').on('data', (s: string) => {
    for (const ch of s) if (ch === 'r') done++;
  });
  return {
    get done() {
      return done;
    },
    async stop(): Promise<number> {
      if (child.exitCode === null && child.signalCode === null) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await gone;
      }
      return done;
    },
  };
}
