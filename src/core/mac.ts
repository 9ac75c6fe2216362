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

/** Character codes of each byte's two hex digits: readMac builds one flat string per frame, no concatenation chain. */
const HI = HEX.map((h) => h.charCodeAt(0));
const LO = HEX.map((h) => h.charCodeAt(1));
const COLON = 58;

export function readMac(buf: Uint8Array, offset: number): Mac {
  const a = buf[offset]!;
  const b = buf[offset + 1]!;
  const c = buf[offset + 2]!;
  const d = buf[offset + 3]!;
  const e = buf[offset + 4]!;
  const f = buf[offset + 5]!;
  return String.fromCharCode(HI[a]!, LO[a]!, COLON, HI[b]!, LO[b]!, COLON, HI[c]!, LO[c]!, COLON, HI[d]!, LO[d]!, COLON, HI[e]!, LO[e]!, COLON, HI[f]!, LO[f]!);
}

/**
 * readMac, but the text of the last two distinct MACs read is handed out again when the same six
 * bytes come back: most frames repeat their Ethernet source (a spoofing flood sends from one
 * interface), and an ordinary frame's ARP sender is its Ethernet source, read just before. The
 * same string again costs no allocation, and its hash is already computed for the Map lookups.
 * Two slots: the one that did not answer last is replaced.
 */
export class MacCache {
  private readonly bytes = new Uint8Array(12);
  private readonly text: [Mac | null, Mac | null] = [null, null];
  private last = 0;

  read(buf: Uint8Array, offset: number): Mac {
    for (let slot = 0; slot < 2; slot++) {
      const t = this.text[slot];
      if (t === null || t === undefined) continue;
      const o = slot * 6;
      const b = this.bytes;
      if (b[o] === buf[offset] && b[o + 1] === buf[offset + 1] && b[o + 2] === buf[offset + 2] && b[o + 3] === buf[offset + 3] && b[o + 4] === buf[offset + 4] && b[o + 5] === buf[offset + 5]) {
        this.last = slot;
        return t;
      }
    }
    const slot = this.last === 0 ? 1 : 0;
    const mac = readMac(buf, offset);
    for (let i = 0; i < 6; i++) this.bytes[slot * 6 + i] = buf[offset + i]!;
    this.text[slot] = mac;
    this.last = slot;
    return mac;
  }
}

/** The receive path's cache (one thread reads every frame: the Ethernet source, then the ARP sender). */
export const receivedMacs = new MacCache();

/**
 * The bytes of the few MACs frames are sent with (this host's, broadcast, zero, a defended
 * peer's), parsed once: every probe and announcement writes two of them. Bounded: emptied when
 * full. macBytes hands out copies; only macBytesShared hands out an entry, read-only by contract.
 */
const PARSED_MAX = 64;
const parsed = new Map<Mac, Uint8Array>();

function bytesOf(mac: Mac): Uint8Array {
  let b = parsed.get(mac);
  if (!b) {
    b = new Uint8Array(6);
    for (let i = 0; i < 6; i++) b[i] = parseInt(mac.slice(i * 3, i * 3 + 2), 16);
    if (parsed.size >= PARSED_MAX) parsed.clear();
    parsed.set(mac, b);
  }
  return b;
}

export function writeMac(buf: Uint8Array, offset: number, mac: Mac): void {
  buf.set(bytesOf(mac), offset);
}

export function macBytes(mac: Mac): Uint8Array {
  return bytesOf(mac).slice();
}

/** The same bytes, shared and read-only by contract: for a call that only reads them at once (a send). */
export function macBytesShared(mac: Mac): Uint8Array {
  return bytesOf(mac);
}

/** VRRP IPv4 virtual router MACs, 00:00:5e:00:01:{VRID} (RFC 5798). */
export function isVrrpMac(mac: Mac): boolean {
  return mac.startsWith('00:00:5e:00:01:');
}

/** VRRP IPv6 virtual router MACs, 00:00:5e:00:02:{VRID} (RFC 5798 §7.3). */
export function isVrrp6Mac(mac: Mac): boolean {
  return mac.startsWith('00:00:5e:00:02:');
}
