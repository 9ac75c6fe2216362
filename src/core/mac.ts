/** MAC addresses in the core are lower-case, colon-separated text: "02:00:5e:10:00:01". */
export type Mac = string;

export const BROADCAST_MAC: Mac = 'ff:ff:ff:ff:ff:ff';
export const ZERO_MAC: Mac = '00:00:00:00:00:00';

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const MAC_TEXT = /^[0-9a-fA-F]{2}([:-])[0-9a-fA-F]{2}(\1[0-9a-fA-F]{2}){4}$/;

/** Normalises "AA-BB-CC-DD-EE-FF" or "aa:bb:..." to the canonical form; null if it is not a MAC. */
export function parseMac(text: string): Mac | null {
  if (!MAC_TEXT.test(text)) return null;
  return text.toLowerCase().replace(/-/g, ':');
}

export function readMac(buf: Uint8Array, offset: number): Mac {
  return `${HEX[buf[offset]!]}:${HEX[buf[offset + 1]!]}:${HEX[buf[offset + 2]!]}:${HEX[buf[offset + 3]!]}:${HEX[buf[offset + 4]!]}:${HEX[buf[offset + 5]!]}`;
}

export function writeMac(buf: Uint8Array, offset: number, mac: Mac): void {
  for (let i = 0; i < 6; i++) buf[offset + i] = parseInt(mac.slice(i * 3, i * 3 + 2), 16);
}

export function macBytes(mac: Mac): Uint8Array {
  const b = new Uint8Array(6);
  writeMac(b, 0, mac);
  return b;
}

/** VRRP IPv4 virtual router MACs, 00:00:5e:00:01:{VRID} (RFC 5798). */
export function isVrrpMac(mac: Mac): boolean {
  return mac.startsWith('00:00:5e:00:01:');
}

/** VRRP IPv6 virtual router MACs, 00:00:5e:00:02:{VRID} (RFC 5798 §7.3). */
export function isVrrp6Mac(mac: Mac): boolean {
  return mac.startsWith('00:00:5e:00:02:');
}
