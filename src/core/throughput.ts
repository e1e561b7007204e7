/**
 * Rates derived from a window of finished-job counts (Store.jobStats), the
 * same for the HTTP API, the CLI and the dashboard.
 */
export interface FinishedWindow {
  windowMs: number;
  completed: number;
  failed: number;
  cancelled: number;
}

export interface WindowRates {
  /** Completed + failed jobs per minute over the window. */
  throughputPerMinute: number;
  /** failed / (completed + failed); null when nothing finished. Cancelled jobs are neither. */
  failureRate: number | null;
}

export function windowRates<W extends FinishedWindow>(w: W): W & WindowRates {
  const done = w.completed + w.failed;
  return { ...w, throughputPerMinute: done / (w.windowMs / 60_000), failureRate: done === 0 ? null : w.failed / done };
}
