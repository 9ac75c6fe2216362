// Preloaded with `node --import` (NODE_OPTIONS): registers a module hook that appends the URL of every
// module the process loads to the file named by DUPIP_RECORD_MODULES, one per line. Used by
// test/e2e/cli-modules.test.ts and bench/cli-startup.mjs to see what a command imports.
import { register } from 'node:module';

if (process.env.DUPIP_RECORD_MODULES) {
  register('./record-modules-hooks.mjs', import.meta.url, { data: { file: process.env.DUPIP_RECORD_MODULES } });
}
