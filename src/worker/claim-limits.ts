/**
 * How many jobs one claim may take from each queue: never more in total than
 * the worker's free slots, never more per queue than the queue's remaining
 * concurrency. Free slots are shared evenly, starting at a rotating queue so
 * that no queue is always served last; a queue that fills its share makes the
 * worker claim again at once, so an empty queue's share is not wasted for long.
 */
export function claimLimits(input: {
  free: number;
  queues: readonly string[];
  rotation: number;
  /** Remaining per-queue concurrency (Infinity when unlimited). */
  capacity: (queue: string) => number;
}): Array<{ queue: string; limit: number }> {
  const { queues } = input;
  const open = queues.length === 0 ? [] : rotate(queues, input.rotation % queues.length).filter((q) => input.capacity(q) > 0);
  const limits: Array<{ queue: string; limit: number }> = [];
  let remaining = Math.max(0, input.free);
  for (let i = 0; i < open.length && remaining > 0; i++) {
    const queue = open[i]!;
    const share = Math.ceil(remaining / (open.length - i));
    const limit = Math.min(share, input.capacity(queue));
    if (limit <= 0) continue;
    limits.push({ queue, limit });
    remaining -= limit;
  }
  return limits;
}

function rotate<T>(items: readonly T[], by: number): T[] {
  return [...items.slice(by), ...items.slice(0, by)];
}
