/**
 * The numeric-aware order of label values and names (eth2 < eth10, 192.0.2.9 < 192.0.2.10): the
 * order of `new Intl.Collator('en', { numeric: true })`, computed without ICU for printable ASCII.
 *
 * Creating that collator maps ICU's collation data (~3–4 MB of resident memory in a process that
 * never needed it); label values are printable ASCII in practice, so the collator is only created
 * for a string outside 0x20–0x7e. test/unit/natural-order.test.ts checks the two agree.
 *
 * CLDR root collation for ASCII, as the collator applies it: primary weights order punctuation and
 * symbols (PUNCTUATION below), then digits (a run of digits weighs as its number, leading zeros
 * ignored), then letters (case ignored); at equal primary weights the first letter that differs in
 * case decides, lowercase first. Pure.
 */

/** Punctuation and symbols of printable ASCII, in CLDR root order (space first). */
const PUNCTUATION = ' _-,;:!?.\'"()[]{}@*/\\&#%`^+<=>|~$';
const DIGITS = 100;
const LETTERS = 200;

const WEIGHT = new Uint16Array(128);
for (let i = 0; i < PUNCTUATION.length; i++) WEIGHT[PUNCTUATION.charCodeAt(i)] = 1 + i;
for (let c = 48; c <= 57; c++) WEIGHT[c] = DIGITS;
for (let c = 0; c < 26; c++) WEIGHT[65 + c] = WEIGHT[97 + c] = LETTERS + c;

let collator: Intl.Collator | null = null;

const plain = (s: string) => {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
};

const isDigit = (c: number) => c >= 48 && c <= 57;

/** Compares two strings as Intl.Collator('en', { numeric: true }) does (for Array.prototype.sort). */
export function compareNatural(a: string, b: string): number {
  if (!plain(a) || !plain(b)) return (collator ??= new Intl.Collator('en', { numeric: true })).compare(a, b);
  let i = 0;
  let j = 0;
  let tertiary = 0;
  while (i < a.length && j < b.length) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(j);
    if (isDigit(ca) && isDigit(cb)) {
      while (i < a.length - 1 && a.charCodeAt(i) === 48 && isDigit(a.charCodeAt(i + 1))) i++;
      while (j < b.length - 1 && b.charCodeAt(j) === 48 && isDigit(b.charCodeAt(j + 1))) j++;
      let ei = i;
      let ej = j;
      while (ei < a.length && isDigit(a.charCodeAt(ei))) ei++;
      while (ej < b.length && isDigit(b.charCodeAt(ej))) ej++;
      if (ei - i !== ej - j) return ei - i < ej - j ? -1 : 1;
      for (; i < ei; i++, j++) {
        const d = a.charCodeAt(i) - b.charCodeAt(j);
        if (d !== 0) return d < 0 ? -1 : 1;
      }
      continue;
    }
    const wa = WEIGHT[ca]!;
    const wb = WEIGHT[cb]!;
    if (wa !== wb) return wa < wb ? -1 : 1;
    if (tertiary === 0 && ca !== cb) tertiary = ca > cb ? -1 : 1; // same letter, other case: lowercase (higher code) first
    i++;
    j++;
  }
  if (i < a.length) return 1;
  if (j < b.length) return -1;
  return tertiary;
}
