/**
 * A delegate, the one compound list item: a mapping in YAML (`- address: ...`), `ADDRESS[@IF]` as a
 * flag. Pure: no I/O.
 */
import { checkInterfaceName, checkUnicastAddress, checkUnicastMac, describe, type Check, type Delegate } from './checks.js';
import type { IpAddress } from '../core/address.js';
import { FAIL, isMapping, list, sub, unknownKeys, type At } from './codecs.js';

export const DELEGATE_KEYS = ['address', 'interface', 'allowed_macs'] as const;

const allowedMacs = list({ item: checkUnicastMac, id: (m) => m, example: '[02:00:00:00:00:01]' });
/** Reported already through At. */
const REPORTED: Check<never> = { ok: false, problem: '' };

/** Reads one `delegates` entry; reports every problem of it through `at`. */
export function readDelegate(item: unknown, at: At): Check<Delegate> {
  if (!isMapping(item)) {
    const hint = typeof item === 'string' ? ` (write "- address: ${item}")` : '';
    at.problem([], `expected a mapping with an address, got ${describe(item)}${hint}`);
    return REPORTED;
  }
  let failed = false;
  const problem: At['problem'] = (p, text, ofKey) => {
    failed = true;
    at.problem(p, text, ofKey);
  };
  const mine: At = { path: at.path, problem, where: at.where };
  unknownKeys(item, mine, DELEGATE_KEYS, { mac: 'allowed_macs', macs: 'allowed_macs', ip: 'address' });
  const has = (k: string): boolean => item[k] !== undefined && item[k] !== null;
  const one = <T>(k: string, c: Check<T>): T | undefined => {
    if (c.ok) return c.value;
    problem([k], c.problem);
    return undefined;
  };
  let address: IpAddress | undefined;
  if (has('address')) address = one('address', checkUnicastAddress(item.address));
  else problem([], 'missing address (e.g. "address: 198.51.100.10" or "address: 2001:db8::10")');
  const iface = has('interface') ? one('interface', checkInterfaceName(item.interface)) : undefined;
  const macs = has('allowed_macs') ? allowedMacs.read(item.allowed_macs, sub(mine, ['allowed_macs'])) : [];
  if (failed || address === undefined || macs === FAIL) return REPORTED;
  const d: Delegate = { address, allowedMacs: macs };
  if (iface !== undefined) d.interface = iface;
  return { ok: true, value: d };
}

/** `ADDRESS[@IF]`, e.g. 198.51.100.10, 198.51.100.10@eth0 or 2001:db8::10@eth0. */
export function delegateFromFlag(text: string): Check<Delegate> {
  const at = text.indexOf('@');
  const addressText = at < 0 ? text : text.slice(0, at);
  const address = checkUnicastAddress(addressText);
  if (!address.ok) return address;
  if (at < 0) return { ok: true, value: { address: address.value, allowedMacs: [] } };
  const ifText = text.slice(at + 1);
  if (ifText === '') return { ok: false, problem: `${JSON.stringify(text)}: missing interface after "@" (e.g. ${addressText}@eth0)` };
  const iface = checkInterfaceName(ifText);
  if (!iface.ok) return iface;
  return { ok: true, value: { address: address.value, interface: iface.value, allowedMacs: [] } };
}
