/**
 * The building blocks of the setting declarations (schema.ts): how one setting's value is read from
 * YAML and from its flag, and the types that turn the declarations into DaemonConfig.
 *
 * Pure: no I/O.
 */
import { formatDuration } from '../core/duration.js';
import { checkDuration, checkInteger, closest, describe, type Check, type DurationRule } from './checks.js';
import type { Where } from './errors.js';

/** A path below the value being read: list indexes and mapping keys. */
export type Path = readonly (string | number)[];

/** Where a codec reports problems and asks for locations, relative to the value it reads. */
export interface At {
  /** The field being read, from the top of the file. */
  path: Path;
  problem(sub: Path, problem: string, ofKey?: boolean): void;
  where(sub: Path): Where;
}

/** Returned by a codec that failed; it has reported why through At. */
export const FAIL: unique symbol = Symbol('invalid');
export type Got<T> = T | typeof FAIL;

export interface Codec<T> {
  /** Reads a YAML value (never null or absent: a key without a value is left out). */
  read(raw: unknown, at: At): Got<T>;
  /** Reads the texts a flag was given, in order (one for a flag that is not repeatable: the last). */
  fromFlag(texts: readonly string[], at: At): Got<T>;
  /** Lists: a repeatable flag, which replaces the file's list. */
  repeatable: boolean;
  /** The type column of docs/config.md, when the codec can tell. */
  type?: string;
  /** Per-item locations of a list just read (for checks across fields). */
  itemWheres?(value: T, at: At): Where[];
}

export interface FlagDecl<T> {
  /** Without the leading "--". */
  name: string;
  /** Name of the value in help ("D", "PATH"); absent: a flag without a value that sets `sets`. */
  arg?: string;
  sets?: T;
  help: string;
}

export interface Setting<T = unknown> {
  /** The YAML key (snake_case) inside its section. */
  key: string;
  codec: Codec<T>;
  /** The default as it would be written in the file; DEFAULTS holds it read through the codec. */
  default: unknown;
  /** docs/config.md type column; default: the codec's. */
  type?: string;
  /** Said instead of the default's value (docs and help), e.g. what an empty list means. */
  defaultNote?: string;
  /** The default as --help words it for the flag, when neither the value nor defaultNote fit. */
  flagDefault?: string;
  flag?: FlagDecl<T>;
  /** Misspellings suggested as this key. */
  aliases?: readonly string[];
  /** Keys of items that people write at this level by mistake: [key, the field to suggest]. */
  hoisted?: readonly (readonly [string, string])[];
  /** The config field may be absent (undefined: none). */
  optional?: true;
}

/** A nested mapping of settings (`web:`). */
export interface Section<S extends Record<string, Setting> = Record<string, Setting>> {
  key: string;
  /** Problem when the value is not a mapping, followed by " <what it is>". */
  notMapping: string;
  settings: S;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Entry = Setting<any> | Section<Record<string, Setting<any>>>;

export function section<S extends Record<string, Setting>>(key: string, notMapping: string, settings: S): Section<S> {
  return { key, notMapping, settings };
}

type Simplify<T> = { [K in keyof T]: T[K] } & {};
type ValueOf<E> = E extends { settings: infer S }
  ? ConfigOf<S>
  : E extends { codec: { read(raw: unknown, at: At): infer R } }
    ? Exclude<R, typeof FAIL | (E extends { optional: true } ? undefined : never)>
    : never;
/** The configuration object a set of declarations makes. */
export type ConfigOf<S> = Simplify<
  { -readonly [K in keyof S as S[K] extends { optional: true } ? never : K]: ValueOf<S[K]> } & {
    -readonly [K in keyof S as S[K] extends { optional: true } ? K : never]?: ValueOf<S[K]>;
  }
>;

/** One value, checked by `check` (from YAML) and `text` (a flag's text; default: `check`). */
export function value<T>(check: (v: unknown) => Check<T>, text: (t: string) => Check<T> = check, type?: string): Codec<T> {
  const got = (c: Check<T>, at: At): Got<T> => {
    if (c.ok) return c.value;
    at.problem([], c.problem);
    return FAIL;
  };
  return {
    read: (raw, at) => got(check(raw), at),
    fromFlag: (texts, at) => got(text(texts[texts.length - 1]!), at),
    repeatable: false,
    ...(type !== undefined ? { type } : {}),
  };
}

/** A duration ("10s"); in YAML also the number 0. */
export function duration(rule: DurationRule): Codec<number> {
  const range = `${formatDuration(rule.minMs)} to ${formatDuration(rule.maxMs)}`;
  return value((v) => checkDuration(v, rule), undefined, `duration, ${rule.zeroDisables ? `0 or ${range}` : range}`);
}

/** An integer in [min, max]: a number in YAML, decimal text in a flag. */
export function integer(min: number, max: number): Codec<number> {
  return value(
    (v) => checkInteger(v, min, max),
    (t) => checkInteger(t, min, max, true),
    `integer ${min} to ${max}`,
  );
}

export interface ListRule<T> {
  /** Checks an item; a reader of a compound item reports its own problems and returns an empty problem. */
  item: (raw: unknown, at: At) => Check<T>;
  /** Reads a flag's text as an item; default: `item`. */
  itemText?: (text: string) => Check<T>;
  /** Identity for duplicates, as named in messages. */
  id: (t: T) => string;
  /** Where below the item a duplicate is reported (e.g. ["address"]). */
  idAt?: Path;
  /** Where below the item it is said to be given (checks across fields). */
  whereAt?: (t: T) => Path;
  /** What the list is, in "expected ... (e.g. EXAMPLE)". */
  listOf?: string;
  example: string;
  /** The problem when the list is empty; absent: an empty list is allowed. */
  atLeastOne?: string;
}

/** A list; duplicates are problems. A repeatable flag gives the whole list. */
export function list<T>(rule: ListRule<T>): Codec<T[]> {
  const fromText = rule.itemText ?? ((t: string) => rule.item(t, NOWHERE));
  return {
    repeatable: true,
    read(raw, at) {
      if (!Array.isArray(raw)) {
        at.problem([], `expected ${rule.listOf ?? 'a list'} (e.g. ${rule.example}), got ${describe(raw)}`);
        return FAIL;
      }
      const out: T[] = [];
      const seen = new Map<string, number>();
      let failed = false;
      raw.forEach((item, i) => {
        const c = rule.item(item, sub(at, [i]));
        if (!c.ok) {
          if (c.problem !== '') at.problem([i], item === null ? 'empty list entry' : c.problem);
          failed = true;
          return;
        }
        const id = rule.id(c.value);
        const first = seen.get(id);
        if (first !== undefined) {
          at.problem([i, ...(rule.idAt ?? [])], `${id} is already listed as ${fieldName([...at.path, first])}`);
          failed = true;
          return;
        }
        seen.set(id, i);
        out.push(c.value);
      });
      if (failed) return FAIL;
      if (rule.atLeastOne !== undefined && out.length === 0) {
        at.problem([], rule.atLeastOne);
        return FAIL;
      }
      return out;
    },
    fromFlag(texts, at) {
      const out: T[] = [];
      const seen = new Set<string>();
      let failed = false;
      for (const text of texts) {
        const c = fromText(text);
        const id = c.ok ? rule.id(c.value) : '';
        if (!c.ok || seen.has(id)) {
          at.problem([], c.ok ? `${id} is given twice` : c.problem);
          failed = true;
          continue;
        }
        seen.add(id);
        out.push(c.value);
      }
      return failed ? FAIL : out;
    },
    itemWheres: (items, at) => items.map((t, i) => at.where([i, ...(rule.whereAt?.(t) ?? [])])),
  };
}

/** `delegates[1].address`: the field as messages name it (list indexes count from 0). */
export function fieldName(path: Path): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? p : `.${p}`;
  return out;
}

/** At for a value below `at`. */
export function sub(at: At, path: Path): At {
  return {
    path: [...at.path, ...path],
    problem: (p, problem, ofKey) => at.problem([...path, ...p], problem, ofKey),
    where: (p) => at.where([...path, ...p]),
  };
}

/**
 * Reports each key of `obj` that is not `known`, with the closest known key or the field an `extra`
 * key belongs to (e.g. a top-level `config_file` → `web.config_file`).
 */
export function unknownKeys(obj: Record<string, unknown>, at: At, known: readonly string[], extra: Readonly<Record<string, string>> = {}): void {
  for (const key of Object.keys(obj)) {
    if (known.includes(key)) continue;
    const guess = extra[key] ?? closest(key, [...known, ...Object.keys(extra)]);
    const suggestion = guess === null ? '' : ` (did you mean "${extra[guess] ?? guess}"?)`;
    at.problem([key], `unknown key${suggestion}; known keys: ${known.join(', ')}`, true);
  }
}

export function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** For checks that are not read from anywhere (defaults, flag texts of simple items). */
export const NOWHERE: At = {
  path: [],
  problem(_sub, problem) {
    throw new Error(problem);
  },
  where: () => ({ kind: 'args' }),
};
