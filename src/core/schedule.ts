/**
 * The scheduler's pure core: triggers (schedule-trigger.ts), their fire
 * times via croner (schedule-timeline.ts), policy (schedule-policy.ts) and
 * the due-fire decisions a store applies (schedule-plan.ts). No I/O, no clock:
 * every function takes `now` as an argument.
 */
export {
  CRON_OPTIONS,
  DEFAULT_TIMEZONE,
  MAX_DATE_MS,
  MIN_INTERVAL_MS,
  describeTrigger,
  formatInterval,
  parseInterval,
  parseTimezone,
  parseTrigger,
  triggerKey,
  type AtTrigger,
  type CronTrigger,
  type DateInput,
  type EveryTrigger,
  type Trigger,
  type TriggerInput,
} from './schedule-trigger.js';
export { nextFireTime, nextFireTimes, previousFireTimes } from './schedule-timeline.js';
export {
  DEFAULT_CATCH_UP,
  DEFAULT_CATCH_UP_MAX,
  DEFAULT_MISFIRE_GRACE_MS,
  DEFAULT_SCHEDULE_POLICY,
  MAX_CATCH_UP_MAX,
  resolveSchedulePolicy,
  schedulePolicySchema,
  type CatchUp,
  type SchedulePolicy,
  type SchedulePolicyInput,
} from './schedule-policy.js';
export {
  MAX_ON_TIME_FIRES_PER_PLAN,
  PLAN_SCAN_CAP,
  fireKey,
  limitByMaxRunning,
  planDueFires,
  planInitialSlot,
  summarizeSkipped,
  type FirePlan,
  type MissedFires,
  type MissedReason,
  type PlanInput,
  type PlannedFire,
} from './schedule-plan.js';
