import { readFileSync } from 'node:fs';
import { getHeapStatistics } from 'node:v8';
import type { AttemptUsage } from '../../runtime/events.js';

/** Linux reports thread CPU in clock ticks; USER_HZ is 100 on every Linux Node supports. */
const TICK_MS = 10;

/**
 * CPU time of the calling thread in ms: `process.threadCpuUsage` where Node has
 * it (23.9+), else `/proc/thread-self/stat` (Linux; 10 ms resolution), else
 * null (the caller falls back to the whole process's CPU).
 */
function threadCpuMs(): number | null {
  const p = process as unknown as { threadCpuUsage?: () => { user: number; system: number } };
  if (typeof p.threadCpuUsage === 'function') {
    const u = p.threadCpuUsage();
    return (u.user + u.system) / 1000;
  }
  try {
    const stat = readFileSync('/proc/thread-self/stat', 'latin1');
    // Fields after the command name (which may contain spaces), from its closing paren.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return null;
  }
}

function processCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * Measures one attempt inside its thread or process: CPU time and the V8
 * heap's high-water mark (sampled every 50 ms while the loop is free, and at
 * the end). Cheap: a couple of syscalls per attempt and an unref'd timer.
 */
export class UsageMeter {
  private readonly cpu: () => number;
  private cpuStart = 0;
  private peakHeap = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly isolation: 'thread' | 'process') {
    this.cpu = isolation === 'thread' && threadCpuMs() !== null ? () => threadCpuMs()! : processCpuMs;
  }

  start(): void {
    this.cpuStart = this.cpu();
    this.peakHeap = getHeapStatistics().used_heap_size;
    this.timer = setInterval(() => this.sample(), 50);
    this.timer.unref();
  }

  stop(): AttemptUsage {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.sample();
    return {
      isolation: this.isolation,
      cpuMs: Math.max(0, Math.round(this.cpu() - this.cpuStart)),
      peakHeapBytes: this.peakHeap,
      peakRssBytes: this.isolation === 'process' ? process.resourceUsage().maxRSS * 1024 : null,
    };
  }

  private sample(): void {
    const used = getHeapStatistics().used_heap_size;
    if (used > this.peakHeap) this.peakHeap = used;
  }
}
