/**
 * Loaded into the daemon with `node --require bench/tools/profile-hook.cjs` by bench/profile.ts.
 * Starts V8's CPU profiler and its sampling heap profiler (counting objects the GC already
 * collected too, so that the profile shows where allocation happens, not only what survives) in
 * the daemon's own thread, and writes both to $DUPIP_PROFILE_DIR when the process exits.
 *
 *   DUPIP_PROFILE_DIR        where cpu.cpuprofile and heap.heapprofile go (required)
 *   DUPIP_PROFILE_DELAY_MS   start after this many ms (the warm-up; default 0)
 */
'use strict';
const inspector = require('node:inspector');
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');

const dir = process.env.DUPIP_PROFILE_DIR;
if (dir) {
  const session = new inspector.Session();
  session.connect();
  let started = false;
  const start = () => {
    session.post('Profiler.enable');
    session.post('Profiler.setSamplingInterval', { interval: 500 });
    session.post('Profiler.start');
    session.post('HeapProfiler.enable');
    session.post('HeapProfiler.startSampling', {
      samplingInterval: 4096,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
    started = true;
    writeFileSync(join(dir, 'started'), `${Date.now()}\n`);
  };
  const delay = Number(process.env.DUPIP_PROFILE_DELAY_MS ?? 0);
  if (delay > 0) setTimeout(start, delay).unref();
  else start();
  process.on('exit', () => {
    if (!started) return;
    // An in-thread session answers synchronously: the callbacks run before post() returns.
    session.post('Profiler.stop', (err, res) => {
      if (!err) writeFileSync(join(dir, 'cpu.cpuprofile'), JSON.stringify(res.profile));
    });
    session.post('HeapProfiler.stopSampling', (err, res) => {
      if (!err) writeFileSync(join(dir, 'heap.heapprofile'), JSON.stringify(res.profile));
    });
  });
}
