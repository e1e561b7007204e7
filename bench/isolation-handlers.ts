// Handlers for bench/isolation.ts, loaded in a worker thread or a child process.
export function noop(): void {}

/** When the handler began, on the wall clock (ms, sub-ms precision), shared by threads and processes. */
export function startedAt(): number {
  return performance.timeOrigin + performance.now();
}
