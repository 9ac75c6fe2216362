/**
 * The one YAML reader of dupip's files (the configuration and the web configuration): YAML 1.2, a
 * byte-order mark ignored, syntax errors with their line and column, aliases bounded, and the line of
 * every field for messages (`file: field: problem`, with `line` in the issue's Where).
 *
 * Pure: no I/O. The yaml package is loaded at the first file read (a daemon started with flags
 * only never loads it: ~2–8 MB of RSS).
 */
import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';
import type { Document, LineCounter } from 'yaml';
import { describe } from './checks.js';
import { fieldName, isMapping, type At, type Path } from './codecs.js';
import type { Issues, Where } from './errors.js';

let loaded: typeof Yaml | null = null;
const yaml = (): typeof Yaml => (loaded ??= createRequire(import.meta.url)('yaml') as typeof Yaml);

export interface YamlFile {
  /** The top-level mapping; {} for an empty file. */
  data: Record<string, unknown>;
  /** Reports at paths from the top of the file. */
  at: At;
}

/**
 * Parses `text` (the contents of `file`). Returns null when it is not YAML or not a mapping at the
 * top; then the problem is in `issues`, and `notMapping` (followed by what it is) says what was expected.
 */
export function readYaml(text: string, file: string, issues: Issues, notMapping: string): YamlFile | null {
  const { LineCounter, parseDocument } = yaml();
  const lines = new LineCounter();
  const doc = parseDocument(text.replace(/^\uFEFF/, ''), { lineCounter: lines, prettyErrors: false, version: '1.2', logLevel: 'error' });
  if (doc.errors.length > 0) {
    for (const err of doc.errors) {
      const { line, col } = lines.linePos(err.pos[0]);
      issues.add({ kind: 'file', file, field: '', line }, `line ${line}, column ${col}: invalid YAML: ${err.message}`);
    }
    return null;
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    issues.add({ kind: 'file', file, field: '' }, `invalid YAML: ${(e as Error).message}`);
    return null;
  }
  if (data === null || data === undefined) data = {}; // empty, or only comments
  if (!isMapping(data)) {
    issues.add({ kind: 'file', file, field: '', line: 1 }, `${notMapping} ${describe(data)}`);
    return null;
  }
  const where = (path: Path, ofKey = false): Where => {
    const line = lineOf(doc, lines, path, ofKey);
    return line === undefined ? { kind: 'file', file, field: fieldName(path) } : { kind: 'file', file, field: fieldName(path), line };
  };
  return {
    data,
    at: { path: [], problem: (path, problem, ofKey) => issues.add(where(path, ofKey), problem), where: (path) => where(path) },
  };
}

/** The line of the value at `path` (or of its key), when the document has it. */
function lineOf(doc: Document, lines: LineCounter, path: Path, ofKey: boolean): number | undefined {
  try {
    const { isMap, isScalar } = yaml();
    let node: unknown;
    if (ofKey) {
      const parent = path.length === 1 ? doc.contents : doc.getIn(path.slice(0, -1), true);
      if (isMap(parent)) {
        const last = path[path.length - 1];
        node = parent.items.find((p) => isScalar(p.key) && String(p.key.value) === String(last))?.key;
      }
    } else {
      node = doc.getIn(path, true);
    }
    const range = (node as { range?: [number, number, number] } | undefined)?.range;
    return range ? lines.linePos(range[0]).line : undefined;
  } catch {
    return undefined;
  }
}
