import { z } from 'zod';
import { parseOrThrow } from '../core/config.js';

/**
 * Longest the scheduler sleeps between two looks at the store. It wakes
 * earlier, at the next due fire, so this only bounds how soon it notices
 * schedules changed by other processes (declared, resumed elsewhere).
 */
export const DEFAULT_SCHEDULER_TICK_MS = 5_000;
/**
 * Fires this close ahead are enqueued early as delayed jobs. 0 by default:
 * the scheduler wakes at the fire time itself, so a fire enqueued ahead
 * (which a pause could no longer stop) buys nothing.
 */
export const DEFAULT_SCHEDULER_LOOKAHEAD_MS = 0;
/** Due schedules planned per store read; more are read at once after. */
export const DEFAULT_SCHEDULER_BATCH_SIZE = 100;

export interface SchedulerConfig {
  /** Run the scheduler service in this process (declared schedules are stored either way). */
  enabled: boolean;
  tickIntervalMs: number;
  lookaheadMs: number;
  batchSize: number;
}

export const schedulerOptionsSchema = z
  .object({
    enabled: z.boolean().optional(),
    tickIntervalMs: z.number().int().min(10).max(3_600_000).optional(),
    lookaheadMs: z.number().int().nonnegative().max(3_600_000).optional(),
    batchSize: z.number().int().positive().max(10_000).optional(),
  })
  .strict();
export type SchedulerOptions = z.input<typeof schedulerOptionsSchema>;

/** Validates `scheduler` options (INVALID_CONFIG naming `scheduler.<field>`) and fills in the named defaults. */
export function resolveSchedulerConfig(input: unknown): SchedulerConfig {
  const o = parseOrThrow(schedulerOptionsSchema, input ?? {}, 'INVALID_CONFIG', 'scheduler');
  return {
    enabled: o.enabled ?? true,
    tickIntervalMs: o.tickIntervalMs ?? DEFAULT_SCHEDULER_TICK_MS,
    lookaheadMs: o.lookaheadMs ?? DEFAULT_SCHEDULER_LOOKAHEAD_MS,
    batchSize: o.batchSize ?? DEFAULT_SCHEDULER_BATCH_SIZE,
  };
}
