/**
 * Node's process metrics, with the names, types and help of prom-client's default metrics (which
 * dupip used to load), read at scrape time: CPU from process.cpuUsage(), memory from
 * /proc/self/status, descriptors from /proc/self/fd and /proc/self/limits, the V8 heap from
 * process.memoryUsage(). Nothing runs between scrapes.
 *
 * Left out of prom-client's set: nodejs_gc_duration_seconds (a PerformanceObserver entry and a JS
 * callback per garbage collection, ~8 % of the daemon's JS time under a flood),
 * nodejs_heap_space_size_*_bytes (27 series, one per V8 space), nodejs_active_handles and
 * nodejs_active_requests (from Node's private _getActiveHandles). The event-loop lag gauges are in
 * event-loop.ts.
 */
import { readFileSync, readdirSync } from 'node:fs';
import type { Registry } from './registry.js';

/** VmRSS, VmSize and VmData of /proc/self/status, in bytes (absent when unreadable). */
export function readStatusMemory(text: string): { rss?: number; size?: number; data?: number } {
  const kb = (field: string) => {
    const m = new RegExp(`^${field}:\\s*(\\d+) kB$`, 'm').exec(text);
    return m ? Number(m[1]) * 1024 : undefined;
  };
  return { rss: kb('VmRSS'), size: kb('VmSize'), data: kb('VmData') };
}

/** The soft limit of "Max open files" in /proc/self/limits. */
export function readMaxFds(text: string): number | undefined {
  const m = /^Max open files\s+(\d+)/m.exec(text);
  return m ? Number(m[1]) : undefined;
}

const readOr = (path: string) => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
};

export function registerProcessMetrics(registry: Registry): void {
  const startTime = Math.round(Date.now() / 1000 - process.uptime());
  // One read per scrape, shared by the three families (collected in registration order): the total is user + system.
  let c = process.cpuUsage();
  registry.counter('process_cpu_user_seconds_total', 'Total user CPU time spent in seconds.', [], (s) => {
    c = process.cpuUsage();
    s.set([], c.user / 1e6);
  });
  registry.counter('process_cpu_system_seconds_total', 'Total system CPU time spent in seconds.', [], (s) => s.set([], c.system / 1e6));
  registry.counter('process_cpu_seconds_total', 'Total user and system CPU time spent in seconds.', [], (s) => s.set([], (c.user + c.system) / 1e6));
  registry.gauge('process_start_time_seconds', 'Start time of the process since unix epoch in seconds.', [], (s) => s.set([], startTime));

  let memory: ReturnType<typeof readStatusMemory> = {};
  registry.gauge('process_resident_memory_bytes', 'Resident memory size in bytes.', [], (s) => {
    memory = readStatusMemory(readOr('/proc/self/status')); // read once for the three families
    if (memory.rss !== undefined) s.set([], memory.rss);
  });
  registry.gauge('process_virtual_memory_bytes', 'Virtual memory size in bytes.', [], (s) => {
    if (memory.size !== undefined) s.set([], memory.size);
  });
  registry.gauge('process_heap_bytes', 'Process heap size in bytes.', [], (s) => {
    if (memory.data !== undefined) s.set([], memory.data);
  });
  registry.gauge('process_open_fds', 'Number of open file descriptors.', [], (s) => {
    try {
      s.set([], readdirSync('/proc/self/fd').length - 1); // less the descriptor of the listing itself
    } catch {
      /* no procfs: the family reads 0 */
    }
  });
  const maxFds = readMaxFds(readOr('/proc/self/limits'));
  registry.gauge('process_max_fds', 'Maximum number of open file descriptors.', [], (s) => {
    if (maxFds !== undefined) s.set([], maxFds);
  });

  registry.gauge('nodejs_active_resources', 'Number of active resources that are currently keeping the event loop alive, grouped by async resource type.', ['type'], (s) => {
    for (const type of process.getActiveResourcesInfo()) s.inc([type], 1);
  });
  let usage: NodeJS.MemoryUsage | null = null;
  registry.gauge('nodejs_heap_size_total_bytes', 'Process heap size from Node.js in bytes.', [], (s) => {
    usage = process.memoryUsage();
    s.set([], usage.heapTotal);
  });
  registry.gauge('nodejs_heap_size_used_bytes', 'Process heap size used from Node.js in bytes.', [], (s) => s.set([], usage?.heapUsed ?? 0));
  registry.gauge('nodejs_external_memory_bytes', 'Node.js external memory size in bytes.', [], (s) => s.set([], usage?.external ?? 0));
  const [major = '', minor = '', patch = ''] = process.version.slice(1).split('.');
  registry.gauge('nodejs_version_info', 'Node.js version info.', ['version', 'major', 'minor', 'patch'], (s) => s.set([process.version, major, minor, patch], 1));
}
