/**
 * Test file order: the few long end-to-end files first, then vitest's own order. On a clean clone
 * vitest has no durations cached and orders by file size, which left the longest file (the bench
 * smoke test, small in size) to start last, with one of the two workers idle for minutes.
 */
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** Longest first (seconds on the 2-core CI machine, from .tmp/vitest-results.json). */
const LONG = [
  'test/e2e/bench-smoke.test.ts', // ~150 s
  'test/e2e/daemon-soak.test.ts', // ~125 s
  'test/e2e/daemon6.test.ts', // ~80 s
  'test/e2e/containers.test.ts', // ~75 s
  'test/e2e/takeover.test.ts', // ~65 s
  'test/e2e/bosh-release.test.ts', // ~55 s
];

const rank = (s: TestSpecification) => {
  const i = LONG.findIndex((f) => s.moduleId.endsWith(f));
  return i < 0 ? LONG.length : i;
};

export default class LongFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const base = await super.sort(files);
    return base.map((s, i) => ({ s, i })).sort((a, b) => rank(a.s) - rank(b.s) || a.i - b.i).map((x) => x.s);
  }
}
