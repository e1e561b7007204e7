// Helpers for users' own tests: `import { createTestDocket, drain, ManualClock } from 'docket/testing'`.
export { ManualClock } from '../core/clock.js';
export { createTestDocket, createMemoryStore, type TestDocketOptions } from './test-docket.js';
export { drain, type DrainOptions } from './drain.js';
