#!/usr/bin/env node
// Reads vitest's JSON results (default .tmp/vitest-results.json) and prints, as its last line:
//   tests: N passed, N failed, N skipped
// A test file that failed to load (syntax error, a CI prerequisite missing, a failing hook) counts as
// one failed test. Under CI=true a skipped test is a failure: it is listed and counted as failed.
// Exit status: 1 if anything failed, if no test ran at all, or if the results are missing.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

const file = process.argv[2] ?? '.tmp/vitest-results.json';
const ci = !['', '0', 'false', 'no'].includes((process.env.CI ?? '').toLowerCase());
const SKIPPED = new Set(['skipped', 'pending', 'todo', 'disabled']);

function line(passed, failed, skipped) {
  return `tests: ${passed} passed, ${failed} failed, ${skipped} skipped`;
}

let results;
try {
  results = JSON.parse(readFileSync(file, 'utf8'));
} catch (err) {
  console.log(`test-summary: no usable results in ${file} (${err.code ?? err.message}): did vitest run?`);
  console.log(line(0, 0, 0));
  process.exit(1);
}

let passed = 0;
const failed = [];
const skipped = [];
for (const suite of results.testResults ?? []) {
  const where = relative(process.cwd(), suite.name);
  let suiteFailures = 0;
  for (const t of suite.assertionResults ?? []) {
    const name = [where, ...(t.ancestorTitles ?? []), t.title].join(' > ');
    if (t.status === 'passed') passed++;
    else if (t.status === 'failed') {
      failed.push(name);
      suiteFailures++;
    } else if (SKIPPED.has(t.status)) skipped.push(name);
  }
  if (suite.status === 'failed' && suiteFailures === 0) {
    const why = (suite.message ?? '').split('\n').find((l) => l.trim()) ?? 'failed';
    failed.push(`${where} (file failed: ${why.trim()})`);
  }
}

if (skipped.length > 0) {
  console.log(ci ? 'test-summary: skipped tests are failures under CI:' : 'test-summary: skipped:');
  for (const s of skipped) console.log(`  ${ci ? 'FAILED (skipped under CI)' : 'skipped'}: ${s}`);
}
if (failed.length > 0) {
  console.log('test-summary: failed:');
  for (const f of failed) console.log(`  FAILED: ${f}`);
}
if (ci) {
  failed.push(...skipped);
  skipped.length = 0;
}
const ran = passed + failed.length;
if (ran === 0) console.log('test-summary: no test ran');
console.log(line(passed, failed.length, skipped.length));
process.exit(failed.length > 0 || ran === 0 ? 1 : 0);
