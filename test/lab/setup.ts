/**
 * vitest setupFiles entry for e2e tests: whatever a test file leaves behind (a test that timed out
 * inside `await using`, a forgotten destroy()) is torn down when the file ends.
 */
import { afterAll } from 'vitest';
import { destroyAllLabs } from './lab.js';

afterAll(async () => {
  await destroyAllLabs();
});
