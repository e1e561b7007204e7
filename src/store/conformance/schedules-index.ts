// The schedule areas of the conformance suite (ScheduleStore).
export { scheduleTests } from './schedules.js';
export { scheduleClaimTests } from './schedules-claim.js';
