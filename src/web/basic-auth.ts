/**
 * HTTP basic authentication against bcrypt hashes (exporter-toolkit's basic_auth_users), built so
 * that password guessing cannot starve the real scraper:
 *
 * - comparisons run on a worker thread, one at a time (bcrypt-worker.ts), never on the event loop;
 * - only successful verifications are cached (by a keyed digest of user, password and hash, never
 *   the password): a scraper's credentials are compared once, and wrong guesses, which are never
 *   cached, cannot evict them;
 * - each client (address, or IPv6 /64) may cause a burst of BURST comparisons, then one per
 *   second; beyond that, and when PENDING_MAX comparisons already wait (PENDING_PER_CLIENT for one
 *   client), the answer is "throttled" (HTTP 429) without comparing;
 * - the user is looked up in constant time, and an unknown user costs a comparison against a dummy
 *   hash as dear as the dearest configured one, so timing does not tell which users exist.
 */
import { crypto } from './lazy-builtins.js';
import { BcryptWorker, type Verifier } from './bcrypt-worker.js';

export type AuthResult = 'ok' | 'denied' | 'throttled';

/** Successful verifications remembered (least recently used dropped first). */
const SUCCESS_CACHE = 64;
const PENDING_MAX = 8;
const PENDING_PER_CLIENT = 1;
/** Per client: comparisons allowed at once, then this many per second. */
const BURST = 10;
const REFILL_PER_S = 1;
/** Clients whose budget is remembered; the oldest is forgotten first. */
const MAX_CLIENTS = 4096;
const BCRYPT_ALPHABET = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** "Basic base64(user:password)" → [user, password], or null. */
export function parseBasicAuth(header: string | undefined): [string, string] | null {
  if (!header) return null;
  const m = /^basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header);
  if (!m) return null;
  const text = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  return colon < 0 ? null : [text.slice(0, colon), text.slice(colon + 1)];
}

export const bcryptCost = (hash: string): number => Number(hash.split('$')[2]);

export interface BasicAuthOptions {
  verifier?: Verifier;
  /** Monotonic ms; default performance.now. */
  now?: () => number;
}

export class BasicAuth {
  private readonly crypto = crypto(); // node:crypto, required once: BasicAuth exists only with users configured
  private readonly key = this.crypto.randomBytes(32);
  private readonly users: Array<{ id: Buffer; hash: string }>;
  /** The hash an unknown user is compared against; its cost is the highest configured. */
  readonly dummy: string;
  private readonly verified = new Map<string, true>();
  private readonly budgets = new Map<string, { tokens: number; at: number }>();
  private readonly pendingBy = new Map<string, number>();
  private pending = 0;
  private verifier: Verifier | null;
  private readonly now: () => number;

  constructor(users: ReadonlyMap<string, string>, opts: BasicAuthOptions = {}) {
    this.users = [...users].map(([user, hash]) => ({ id: this.digest(user), hash }));
    const cost = Math.max(4, ...this.users.map((u) => bcryptCost(u.hash)));
    this.dummy = `$2b$${String(cost).padStart(2, '0')}$${Array.from({ length: 53 }, () => BCRYPT_ALPHABET[this.crypto.randomInt(64)]).join('')}`;
    this.verifier = this.users.length ? (opts.verifier ?? new BcryptWorker()) : null;
    this.now = opts.now ?? (() => performance.now());
  }

  get enabled(): boolean {
    return this.users.length > 0;
  }

  private digest(...parts: string[]): Buffer {
    return this.crypto.createHmac('sha256', this.key).update(parts.join('\u0000')).digest();
  }

  /** `client`: the connection's remote address (clientKey()), for the per-client budget. */
  async check(authorization: string | undefined, client = 'unknown'): Promise<AuthResult> {
    if (!this.enabled) return 'ok';
    const creds = parseBasicAuth(authorization);
    if (!creds) return 'denied';
    const [user, password] = creds;
    const id = this.digest(user);
    let hash = this.dummy;
    let known = false;
    for (const u of this.users) {
      // No early exit, no string comparison: the time does not depend on which user, if any, matched.
      const match = this.crypto.timingSafeEqual(u.id, id);
      if (match) hash = u.hash;
      known ||= match;
    }
    const key = this.digest(user, password, hash).toString('hex');
    if (this.verified.has(key)) {
      this.verified.delete(key); // most recently used last
      this.verified.set(key, true);
      return 'ok';
    }
    const mine = this.pendingBy.get(client) ?? 0;
    if (this.pending >= PENDING_MAX || mine >= PENDING_PER_CLIENT || !this.spend(client)) return 'throttled';
    this.pending++;
    this.pendingBy.set(client, mine + 1);
    let ok: boolean;
    try {
      ok = (await this.verifier!.compare(password, hash)) && known;
    } catch {
      return 'throttled'; // the worker failed: not the client's fault, let it retry
    } finally {
      this.pending--;
      const left = (this.pendingBy.get(client) ?? 1) - 1;
      if (left > 0) this.pendingBy.set(client, left);
      else this.pendingBy.delete(client);
    }
    if (!ok) return 'denied';
    if (this.verified.size >= SUCCESS_CACHE) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(key, true);
    return 'ok';
  }

  /** Takes one comparison from the client's budget; false when it has none left. */
  private spend(client: string): boolean {
    const now = this.now();
    let b = this.budgets.get(client);
    if (b) {
      this.budgets.delete(client);
      b.tokens = Math.min(BURST, b.tokens + ((now - b.at) / 1000) * REFILL_PER_S);
      b.at = now;
    } else {
      if (this.budgets.size >= MAX_CLIENTS) this.budgets.delete(this.budgets.keys().next().value!);
      b = { tokens: BURST, at: now };
    }
    this.budgets.set(client, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  async close(): Promise<void> {
    await this.verifier?.close();
    this.verifier = null;
  }
}
