/**
 * HTTP basic authentication against bcrypt hashes, as exporter-toolkit does it: the user is looked
 * up in constant time (an unknown user costs a bcrypt comparison too, against a hash that matches
 * nothing), bcrypt comparisons run one at a time so a burst of logins cannot eat the CPU the probes
 * need, and results are cached (by a digest, never the password) so a scraper every 15 s costs one
 * bcrypt comparison, not one per scrape.
 */
import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import bcrypt from 'bcryptjs';

export type AuthResult = 'ok' | 'denied' | 'busy';

const CACHE_SIZE = 128;
/** Comparisons waiting beyond this are refused ("busy", HTTP 429) instead of queued. */
const MAX_PENDING = 32;
const BCRYPT_ALPHABET = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

const digest = (...parts: string[]) => createHash('sha256').update(parts.join('\u0000')).digest();

/** "Basic base64(user:password)" → [user, password], or null. */
export function parseBasicAuth(header: string | undefined): [string, string] | null {
  if (!header) return null;
  const m = /^basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header);
  if (!m) return null;
  const text = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  return colon < 0 ? null : [text.slice(0, colon), text.slice(colon + 1)];
}

export class BasicAuth {
  private readonly users: Array<{ id: Buffer; hash: string }>;
  private readonly dummy: string;
  private readonly cache = new Map<string, boolean>();
  private queue: Promise<unknown> = Promise.resolve();
  private pending = 0;

  constructor(users: ReadonlyMap<string, string>) {
    this.users = [...users].map(([user, hash]) => ({ id: digest(user), hash }));
    // Same cost as the dearest real hash, so an unknown user takes as long as a wrong password.
    const cost = Math.max(10, ...this.users.map((u) => Number(u.hash.split('$')[2])));
    this.dummy = `$2b$${String(cost).padStart(2, '0')}$${Array.from({ length: 53 }, () => BCRYPT_ALPHABET[randomInt(64)]).join('')}`;
  }

  get enabled(): boolean {
    return this.users.length > 0;
  }

  async check(authorization: string | undefined): Promise<AuthResult> {
    if (!this.enabled) return 'ok';
    const creds = parseBasicAuth(authorization);
    if (!creds) return 'denied';
    const [user, password] = creds;
    const id = digest(user);
    let hash = this.dummy;
    let known = false;
    for (const u of this.users) {
      // No early exit, no string comparison: the time does not depend on which user, if any, matched.
      const match = timingSafeEqual(u.id, id);
      if (match) hash = u.hash;
      known ||= match;
    }
    const key = digest(user, password, hash).toString('hex');
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached ? 'ok' : 'denied';
    if (this.pending >= MAX_PENDING) return 'busy';
    this.pending++;
    const run = this.queue.then(() => bcrypt.compare(password, hash));
    this.queue = run.catch(() => false);
    let ok: boolean;
    try {
      ok = (await run) && known;
    } catch {
      ok = false;
    } finally {
      this.pending--;
    }
    this.remember(key, ok);
    return ok ? 'ok' : 'denied';
  }

  private remember(key: string, ok: boolean): void {
    if (this.cache.size >= CACHE_SIZE) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(key, ok);
  }
}
