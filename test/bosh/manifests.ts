/**
 * Just enough of the BOSH CLI and Director to test the release's manifests without them:
 * - applyOps: go-patch `replace` operations (paths with `key`, `key?`, `name=value`, `name=value?`
 *   and a final `-`), as `bosh deploy -o` applies an ops file;
 * - addonApplies: the Director's placement rules for runtime-config addons (include/exclude by
 *   stemcell os, lifecycle, jobs, deployments), after bosh-director's Addon::Filter.
 */

export interface Op {
  type: string;
  path: string;
  value?: unknown;
}

type Node = Record<string, unknown> | unknown[];

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Applies go-patch replace operations to a deep copy of doc; throws on a path that does not resolve. */
export function applyOps(doc: unknown, ops: Op[]): unknown {
  const root = structuredClone(doc) as Record<string, unknown>;
  for (const op of ops) {
    if (op.type !== 'replace') throw new Error(`${op.path}: only "replace" is supported, not ${op.type}`);
    const tokens = op.path.split('/').slice(1);
    if (op.path[0] !== '/' || tokens.length === 0) throw new Error(`${op.path}: not an absolute path`);
    let node: Node = root;
    let optional = false;
    tokens.forEach((raw, i) => {
      const last = i === tokens.length - 1;
      const opt = raw.endsWith('?');
      optional ||= opt;
      const token = opt ? raw.slice(0, -1) : raw;
      const next = tokens[i + 1];
      const fresh = (): Node => (next === '-' || (next !== undefined && /^[^=]+=/.test(next)) ? [] : {});
      if (token === '-') {
        if (!Array.isArray(node) || !last) throw new Error(`${op.path}: "-" must end the path and follow a list`);
        node.push(structuredClone(op.value));
        return;
      }
      const m = /^([^=]+)=(.*)$/.exec(token);
      if (m) {
        if (!Array.isArray(node)) throw new Error(`${op.path}: ${token} on something that is not a list`);
        const [, key, val] = m;
        let idx = node.findIndex((e) => isMap(e) && e[key!] === val);
        if (idx < 0) {
          if (!optional) throw new Error(`${op.path}: no element with ${token}`);
          if (last) {
            node.push(structuredClone(op.value));
            return;
          }
          node.push({ [key!]: val });
          idx = node.length - 1;
        }
        if (last) node[idx] = structuredClone(op.value);
        else node = node[idx] as Node;
        return;
      }
      if (!isMap(node)) throw new Error(`${op.path}: key ${token} on something that is not a map`);
      if (last) {
        node[token] = structuredClone(op.value);
        return;
      }
      if (!(token in node) || node[token] === null || node[token] === undefined) {
        if (!optional) throw new Error(`${op.path}: no key ${token}`);
        node[token] = fresh();
      }
      node = node[token] as Node;
    });
  }
  return root;
}

export interface InstanceGroup {
  deployment: string;
  jobs: Array<{ name: string; release: string }>;
  os: string;
  lifecycle: 'service' | 'errand';
}

export interface AddonFilter {
  stemcell?: Array<{ os: string }>;
  lifecycle?: string;
  jobs?: Array<{ name: string; release: string }>;
  deployments?: string[];
}

function filterApplies(f: AddonFilter | undefined, type: 'include' | 'exclude', ig: InstanceGroup): boolean {
  const stemcells = f?.stemcell ?? [];
  const jobs = f?.jobs ?? [];
  const deployments = f?.deployments ?? [];
  const lifecycle = f?.lifecycle ?? '';
  if (lifecycle !== '' && lifecycle !== ig.lifecycle) return false;
  if (stemcells.length > 0 && !stemcells.some((s) => s.os === ig.os)) return false;
  const jobMatch = () => jobs.some((j) => ig.jobs.some((x) => x.name === j.name && x.release === j.release));
  if (deployments.length > 0 && jobs.length === 0) return deployments.includes(ig.deployment);
  if (deployments.length === 0 && jobs.length > 0) return jobMatch();
  if (deployments.length > 0 && jobs.length > 0) return deployments.includes(ig.deployment) && jobMatch();
  return type === 'include' ? true : stemcells.length > 0 || lifecycle !== '';
}

/** Whether a runtime-config addon lands on an instance group (include applies and exclude does not). */
export function addonApplies(addon: { include?: AddonFilter; exclude?: AddonFilter }, ig: InstanceGroup): boolean {
  return filterApplies(addon.include, 'include', ig) && !filterApplies(addon.exclude, 'exclude', ig);
}
