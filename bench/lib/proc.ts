/**
 * CPU and memory of one process, from /proc: what the process itself spends, whatever else runs on
 * the machine (the flooder, tcpdump, the kernel's softirq work on behalf of the sender).
 *
 *   utime + stime   /proc/PID/stat fields 14 and 15, in clock ticks (CLK_TCK, usually 100/s): the
 *                   figure the issue asks for; 10 ms resolution.
 *   on-CPU ns       sum of /proc/PID/task/* /schedstat field 1 (nanoseconds on CPU per thread): the
 *                   same quantity with nanosecond resolution, for the idle runs where a minute of
 *                   work is a few ticks. Threads that already exited are missing from it.
 *   VmRSS, VmHWM    /proc/PID/status, kB.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { delay, median, now, round } from './util.js';

let clkTck: number | null = null;

export function clockTicks(): number {
  if (clkTck === null) {
    try {
      clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clkTck = 100;
    }
  }
  return clkTck;
}

export interface CpuReading {
  /** harness clock, ms since the epoch */
  at: number;
  /** utime + stime, seconds (tick resolution) */
  cpuS: number;
  utimeS: number;
  stimeS: number;
  /** on-CPU time of the live threads, seconds (ns resolution) */
  schedS: number;
}

export function readCpu(pid: number): CpuReading {
  const at = now();
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); utime is field 14, stime field 15.
  const hz = clockTicks();
  const utimeS = Number(fields[11]) / hz;
  const stimeS = Number(fields[12]) / hz;
  let schedNs = 0;
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        schedNs += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        /* thread exited */
      }
    }
  } catch {
    /* no schedstat */
  }
  return { at, cpuS: utimeS + stimeS, utimeS, stimeS, schedS: schedNs / 1e9 };
}

export interface MemReading {
  rssKb: number;
  hwmKb: number;
}

export function readMem(pid: number): MemReading {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssKb: kb('VmRSS'), hwmKb: kb('VmHWM') };
}

export interface UsageWindow {
  seconds: number;
  cpuSeconds: number;
  userSeconds: number;
  systemSeconds: number;
  /** on-CPU seconds from schedstat (ns resolution) */
  schedCpuSeconds: number;
  /** percent of one core, from utime+stime */
  corePercent: number;
  /** percent of one core, from schedstat */
  schedCorePercent: number;
  /** CPU seconds per hour at this rate, from utime+stime and from schedstat */
  cpuSecondsPerHour: number;
  schedCpuSecondsPerHour: number;
  rssStartMb: number;
  rssEndMb: number;
  rssMaxMb: number;
  /** peak RSS over the process lifetime (VmHWM) at the end of the window */
  hwmMb: number;
  /** the window cut into sampling slices: median and highest percent of one core (schedstat) */
  slices: number;
  /** RSS at each sample, MB (start, every sampleMs, end) */
  rssSeriesMb: number[];
  sliceCorePercentMedian: number;
  sliceCorePercentMax: number;
}

/**
 * Samples a process's memory every `sampleMs` between start() and stop(), and its CPU at both ends.
 * stop() returns the usage over the window.
 */
export class UsageMeter {
  private first: CpuReading | null = null;
  private last: CpuReading | null = null;
  private rss: number[] = [];
  private slices: number[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    readonly pid: number,
    private readonly sampleMs = 1000,
  ) {}

  start(): this {
    this.first = this.last = readCpu(this.pid);
    this.rss = [readMem(this.pid).rssKb];
    this.timer = setInterval(() => {
      try {
        this.rss.push(readMem(this.pid).rssKb);
        const c = readCpu(this.pid);
        this.slices.push((100 * (c.schedS - this.last!.schedS)) / ((c.at - this.last!.at) / 1000));
        this.last = c;
      } catch {
        /* process gone; stop() will throw */
      }
    }, this.sampleMs);
    return this;
  }

  stop(): UsageWindow {
    if (this.timer) clearInterval(this.timer);
    const a = this.first;
    if (!a) throw new Error('UsageMeter: stop() before start()');
    const b = readCpu(this.pid);
    const mem = readMem(this.pid);
    this.rss.push(mem.rssKb);
    const seconds = (b.at - a.at) / 1000;
    const cpu = b.cpuS - a.cpuS;
    const sched = b.schedS - a.schedS;
    const mb = (kb: number) => round(kb / 1024, 1);
    return {
      seconds: round(seconds, 2),
      cpuSeconds: round(cpu, 3),
      userSeconds: round(b.utimeS - a.utimeS, 3),
      systemSeconds: round(b.stimeS - a.stimeS, 3),
      schedCpuSeconds: round(sched, 4),
      corePercent: round((100 * cpu) / seconds, 3),
      schedCorePercent: round((100 * sched) / seconds, 3),
      cpuSecondsPerHour: round((cpu * 3600) / seconds, 2),
      schedCpuSecondsPerHour: round((sched * 3600) / seconds, 2),
      rssStartMb: mb(this.rss[0]!),
      rssEndMb: mb(mem.rssKb),
      rssMaxMb: mb(Math.max(...this.rss)),
      hwmMb: mb(mem.hwmKb),
      slices: this.slices.length,
      rssSeriesMb: this.rss.map(mb),
      sliceCorePercentMedian: this.slices.length ? round(median(this.slices), 3) : NaN,
      sliceCorePercentMax: this.slices.length ? round(Math.max(...this.slices), 3) : NaN,
    };
  }
}

/** CPU and memory of `pid` over `ms`, sampled every `sampleMs`. */
export async function measure(pid: number, ms: number, sampleMs = 1000): Promise<UsageWindow> {
  const m = new UsageMeter(pid, sampleMs).start();
  await delay(ms);
  return m.stop();
}
