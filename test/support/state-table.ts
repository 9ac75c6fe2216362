/**
 * The state × input table of a state machine (src/core/held-machine.ts, delegate-machine.ts) as
 * tests: each row is run from its state, and the rows and the machine's documented edges must be
 * the same set, both ways.
 */
import { expect, it } from 'vitest';

export interface EdgeRow<S extends string, I extends string, M, T> {
  from: S;
  input: I;
  to: S;
  /** What makes the input take this edge. */
  when: string;
  run: (m: M) => T;
  check?: (m: M, step: T) => void;
}

export function stateTable<S extends string, I extends string, M, T>(
  rows: readonly EdgeRow<S, I, M, T>[],
  edges: readonly (readonly [S, I, S])[],
  machineIn: (state: S) => M,
  apply: (m: M, step: T) => S,
): void {
  it.each(rows.map((r) => [`${r.from} --${r.input}--> ${r.to}: ${r.when}`, r] as const))('%s', (_, r) => {
    const m = machineIn(r.from);
    const step = r.run(m);
    expect(apply(m, step)).toBe(r.to);
    r.check?.(m, step);
  });

  it('every row is a documented edge, and every documented edge has a row', () => {
    const key = (e: readonly [string, string, string]) => e.join(' ');
    const documented = new Set(edges.map(key));
    const tested = new Set(rows.map((r) => key([r.from, r.input, r.to])));
    expect([...tested].filter((k) => !documented.has(k))).toEqual([]);
    expect([...documented].filter((k) => !tested.has(k))).toEqual([]);
  });
}
