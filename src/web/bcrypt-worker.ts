/**
 * bcrypt comparisons on a worker thread, one at a time. bcryptjs is plain JavaScript: a cost-10
 * comparison takes ~70 ms of CPU, and its async API still runs on the event loop (in slices), so
 * a burst of logins would delay frame handling and every other HTTP request. On the worker they
 * take at most one core and never the event loop. A worker that dies is replaced at the next
 * comparison; the comparisons it had are reported as failed (not as wrong passwords).
 */
import { createRequire } from 'node:module';
import type { Worker } from 'node:worker_threads';
import { workerThreads } from './lazy-builtins.js';

export interface Verifier {
  compare(password: string, hash: string): Promise<boolean>;
  close(): Promise<void>;
}

// CommonJS, evaluated: works the same from dist/ and from the TypeScript sources under test.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const bcrypt = require(workerData.bcrypt);
parentPort.on('message', ({ id, password, hash }) => {
  let ok = false;
  try { ok = bcrypt.compareSync(password, hash); } catch { ok = false; }
  parentPort.postMessage({ id, ok });
});
`;

export class BcryptWorker implements Verifier {
  private worker: Worker | null = null;
  private readonly jobs = new Map<number, { resolve: (ok: boolean) => void; reject: (err: Error) => void }>();
  private seq = 0;
  private closed = false;
  private readonly bcryptPath = createRequire(import.meta.url).resolve('bcryptjs');

  constructor() {
    // Started now, not at the first login: that one should not wait for a thread to boot.
    this.worker = this.start();
  }

  private start(): Worker {
    const w = new (workerThreads().Worker)(WORKER_SOURCE, { eval: true, workerData: { bcrypt: this.bcryptPath }, resourceLimits: { maxOldGenerationSizeMb: 64 } });
    w.unref();
    w.on('message', ({ id, ok }: { id: number; ok: boolean }) => {
      const job = this.jobs.get(id);
      this.jobs.delete(id);
      job?.resolve(ok);
    });
    const fail = (err: Error) => {
      if (this.worker !== w) return;
      this.worker = null;
      const jobs = [...this.jobs.values()];
      this.jobs.clear();
      for (const j of jobs) j.reject(err);
    };
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(`the bcrypt worker exited (code ${code})`)));
    return w;
  }

  compare(password: string, hash: string): Promise<boolean> {
    if (this.closed) return Promise.reject(new Error('closed'));
    this.worker ??= this.start();
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      this.jobs.set(id, { resolve, reject });
      this.worker!.postMessage({ id, password, hash });
    });
  }

  /** Comparisons queued or running. */
  get pending(): number {
    return this.jobs.size;
  }

  async close(): Promise<void> {
    this.closed = true;
    const w = this.worker;
    this.worker = null;
    for (const j of this.jobs.values()) j.reject(new Error('closed'));
    this.jobs.clear();
    if (w) await w.terminate();
  }
}
