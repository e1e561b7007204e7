import type { Notice } from './views/layout.js';

/**
 * Success messages after an action, by the fixed code a redirect carries in
 * `?done=` (never text from the request, so nothing can be injected through it).
 */
const DONE: Record<string, string> = {
  cancelled: 'The job was cancelled.',
  cancel_requested: 'Cancel requested: the worker running the job aborts it and records it as cancelled.',
  retried: 'The job is waiting again, with a fresh set of attempts.',
  promoted: 'The job is runnable now.',
  'already-waiting': 'The job was already waiting to run.',
  deleted: 'The job was deleted.',
  triggered: "The schedule's job was enqueued.",
  'schedule-paused': 'The schedule is paused: it records its fires as skipped until resumed.',
  'schedule-resumed': 'The schedule is resumed from its next fire; fires missed while paused are not replayed.',
  'queue-paused': 'The queue is paused: workers stop claiming from it; running jobs finish.',
  'queue-resumed': 'The queue is resumed.',
};

export type DoneCode = keyof typeof DONE;

export function noticeOf(done: string | undefined): Notice | null {
  if (!done || !Object.hasOwn(DONE, done)) return null;
  return { kind: 'ok', text: DONE[done]! };
}

/** `path` with `done=code` added to its query. */
export function withDone(path: string, code: DoneCode): string {
  const [base, query = ''] = path.split('?', 2) as [string, string?];
  const params = new URLSearchParams(query);
  params.set('done', code);
  return `${base}?${params.toString()}`;
}
