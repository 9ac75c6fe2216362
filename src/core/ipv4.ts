/** IPv4 addresses in the core are unsigned 32-bit numbers in host order (192.0.2.1 = 0xc0000201). */
export type Ipv4 = number;

const DOTTED = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** Parses dotted-quad text; returns null for anything else (no shorthand, no leading zeros beyond "0"). */
export function parseIpv4(text: string): Ipv4 | null {
  const m = DOTTED.exec(text);
  if (!m) return null;
  let n = 0;
  for (let i = 1; i <= 4; i++) {
    const part = m[i]!;
    if (part.length > 1 && part.startsWith('0')) return null;
    const v = Number(part);
    if (v > 255) return null;
    n = n * 256 + v;
  }
  return n >>> 0;
}

export function formatIpv4(ip: Ipv4): string {
  return `${(ip >>> 24) & 255}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`;
}

export function readIpv4(buf: Uint8Array, offset: number): Ipv4 {
  return ((buf[offset]! << 24) | (buf[offset + 1]! << 16) | (buf[offset + 2]! << 8) | buf[offset + 3]!) >>> 0;
}

export function writeIpv4(buf: Uint8Array, offset: number, ip: Ipv4): void {
  buf[offset] = (ip >>> 24) & 255;
  buf[offset + 1] = (ip >>> 16) & 255;
  buf[offset + 2] = (ip >>> 8) & 255;
  buf[offset + 3] = ip & 255;
}

/** True when `ip` lies in prefix/len. */
export function inSubnet(ip: Ipv4, prefix: Ipv4, len: number): boolean {
  if (len <= 0) return true;
  const mask = len >= 32 ? 0xffffffff : (0xffffffff << (32 - len)) >>> 0;
  return ((ip & mask) >>> 0) === ((prefix & mask) >>> 0);
}
