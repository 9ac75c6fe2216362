/**
 * Loading a configuration in unit tests: a YAML text as the file FILE plus flags, through the
 * real loadConfig with an in-memory readFile; fail() returns the ConfigError it must throw.
 */
import { expect } from 'vitest';
import { ConfigError, loadConfig, type LoadResult } from '../../src/config/index.js';
import { parseIpv4 } from '../../src/core/ipv4.js';


export const FILE = '/etc/dupip/dupip.yml';

export function ip(text: string): number {
  const v = parseIpv4(text);
  if (v === null) throw new Error(`bad test address ${text}`);
  return v;
}

/** Loads `yaml` as the file FILE (when given) with extra flags. */
export function load(yaml: string | null, argv: string[] = []): LoadResult {
  const files = new Map<string, string>(yaml === null ? [] : [[FILE, yaml]]);
  const readFile = (p: string): string => {
    const text = files.get(p);
    if (text === undefined) throw Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' });
    return text;
  };
  return loadConfig({ argv: yaml === null ? argv : ['--config', FILE, ...argv], readFile });
}

/** The ConfigError thrown by load(); fails the test when nothing is thrown. */
export function fail(yaml: string | null, argv: string[] = []): ConfigError {
  try {
    load(yaml, argv);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

export function message(yaml: string | null, argv: string[] = []): string {
  return fail(yaml, argv).message;
}
