/**
 * Basic auth that guessing cannot turn against the real scraper: comparisons on a worker thread,
 * only successes cached, a per-client budget, a dummy hash as dear as the dearest user's.
 */
import bcrypt from 'bcryptjs';
import { afterEach, describe, expect, it } from 'vitest';
import { BasicAuth, bcryptCost } from '../../src/web/basic-auth.js';
import { BcryptWorker, type Verifier } from '../../src/web/bcrypt-worker.js';

const header = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** Compares for real (bcryptjs, synchronously) and records what it was asked. */
class RecordingVerifier implements Verifier {
  readonly hashes: string[] = [];
  held: Array<() => void> = [];
  hold = false;
  async compare(password: string, hash: string): Promise<boolean> {
    this.hashes.push(hash);
    if (this.hold) await new Promise<void>((r) => this.held.push(r));
    return bcrypt.compareSync(password, hash);
  }
  release(): void {
    for (const r of this.held.splice(0)) r();
  }
  async close(): Promise<void> {}
}

const PROM = bcrypt.hashSync('s3cret', 4);
const ADMIN = bcrypt.hashSync('adm1n', 6);

describe('BasicAuth', () => {
  const auths: BasicAuth[] = [];
  afterEach(async () => {
    await Promise.all(auths.splice(0).map((a) => a.close()));
  });
  const make = (v: Verifier, now?: () => number) => {
    const a = new BasicAuth(new Map([['prometheus', PROM], ['admin', ADMIN]]), { verifier: v, now });
    auths.push(a);
    return a;
  };

  it('an unknown user is compared against a dummy hash of the highest configured cost', async () => {
    const v = new RecordingVerifier();
    const a = make(v);
    expect(bcryptCost(a.dummy)).toBe(6);
    expect(await a.check(header('nobody', 's3cret'), 'c1')).toBe('denied');
    expect(v.hashes).toEqual([a.dummy]);
    expect(await a.check(header('prometheus', 'wrong'), 'c1')).toBe('denied');
    expect(v.hashes[1]).toBe(PROM);
  });

  it('wrong guesses are never cached, so they cannot evict the scraper: its password is compared once', async () => {
    const v = new RecordingVerifier();
    let t = 0;
    const a = make(v, () => t);
    expect(await a.check(header('prometheus', 's3cret'), 'scraper')).toBe('ok');
    expect(v.hashes).toHaveLength(1);
    for (let i = 0; i < 300; i++) { // more than any FIFO of failures would hold
      t += 1000; // enough budget for every guess: the cache alone must hold
      expect(await a.check(header('prometheus', `guess${i}`), `10.0.${i >> 8}.${i & 255}`)).toBe('denied');
    }
    const compared = v.hashes.length;
    expect(await a.check(header('prometheus', 's3cret'), 'scraper')).toBe('ok');
    expect(v.hashes).toHaveLength(compared);
  }, 30_000);

  it('a client may cause a burst of 10 comparisons, then one per second; others are not affected', async () => {
    const v = new RecordingVerifier();
    let t = 0;
    const a = make(v, () => t);
    const results: string[] = [];
    for (let i = 0; i < 15; i++) results.push(await a.check(header('prometheus', `g${i}`), 'guesser'));
    expect(results.filter((r) => r === 'denied')).toHaveLength(10);
    expect(results.slice(10)).toEqual(Array(5).fill('throttled'));
    expect(v.hashes).toHaveLength(10);
    expect(await a.check(header('prometheus', 's3cret'), 'scraper')).toBe('ok');
    t += 1000;
    expect(await a.check(header('prometheus', 'again'), 'guesser')).toBe('denied');
    expect(await a.check(header('prometheus', 'again'), 'guesser')).toBe('throttled');
  });

  it('bounds the comparisons waiting: one per client, eight in all', async () => {
    const v = new RecordingVerifier();
    v.hold = true;
    const a = make(v);
    const one = [0, 1].map((i) => a.check(header('prometheus', `x${i}`), 'c0'));
    expect(await one[1]).toBe('throttled');
    const many = Array.from({ length: 9 }, (_, i) => a.check(header('prometheus', `y${i}`), `c${i + 1}`));
    expect(await many[8]).toBe('throttled');
    expect(await many[7]).toBe('throttled');
    expect(v.hashes).toHaveLength(8);
    v.release();
    expect(await Promise.all([one[0], ...many.slice(0, 7)])).toEqual(Array(8).fill('denied'));
  });

  it('no or malformed credentials: denied without a comparison', async () => {
    const v = new RecordingVerifier();
    const a = make(v);
    expect(await a.check(undefined, 'c')).toBe('denied');
    expect(await a.check('Bearer x', 'c')).toBe('denied');
    expect(v.hashes).toEqual([]);
  });
});

describe('BcryptWorker', () => {
  it('compares off the event loop: timers keep firing during cost-11 comparisons', async () => {
    const w = new BcryptWorker();
    try {
      const hash = bcrypt.hashSync('pw', 11);
      expect(await w.compare('pw', bcrypt.hashSync('pw', 4))).toBe(true); // warm up the worker
      let ticks = 0;
      const timer = setInterval(() => ticks++, 5);
      const t0 = performance.now();
      const [right, wrong] = await Promise.all([w.compare('pw', hash), w.compare('nope', hash)]);
      const ms = performance.now() - t0;
      clearInterval(timer);
      expect([right, wrong]).toEqual([true, false]);
      // On the event loop the comparisons would have blocked every tick until they were done.
      expect(ticks).toBeGreaterThan(ms / 5 / 4);
    } finally {
      await w.close();
    }
  }, 30_000);

  it('a comparison after close fails, not answers', async () => {
    const w = new BcryptWorker();
    await w.close();
    await expect(w.compare('a', PROM)).rejects.toThrow();
  });
});
