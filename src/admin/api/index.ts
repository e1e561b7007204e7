// The admin HTTP API: `createAdminApp` (a Hono app to mount or serve), `createAdminListener` (the same
// app for node:http and Express) and `serveAdmin` (standalone).
export { createAdminApp, DEFAULT_MAX_BODY_BYTES, type AdminApp, type AdminAppOptions } from './app.js';
export { serveAdmin, DEFAULT_ADMIN_PORT, type AdminServer, type ServeAdminOptions } from './serve.js';
export { createAdminListener, type AdminListener } from './node-listener.js';
export { isLoopbackHost } from '../kit/net.js';
export { MIN_KEY_LENGTH, type ApiKeys, type Scope } from '../kit/auth.js';
export type { AdminDocket } from '../kit/admin-port.js';
export { AdminMetrics } from './metrics.js';
export { PROBLEM_TABLE, PROBLEM_CONTENT_TYPE, HTTP_PROBLEM_CODES, type Problem, type ProblemCode } from '../kit/problem.js';
export { DEFAULT_ENQUEUE_RATE_LIMIT, type RateLimitOptions } from './rate-limit.js';
