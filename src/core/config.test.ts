import { describe, expect, it } from 'vitest';
import {
  DEFAULT_CONCURRENCY,
  DEFAULT_LEASE_MS,
  DEFAULT_RETENTION,
  enqueueOptionsSchema,
  parseOrThrow,
  resolveCoreConfig,
  resolveRetryPolicy,
} from './config.js';
import { resolveQueuePolicy } from './queue-policy.js';
import { ValidationError } from './errors.js';
import { DEFAULT_RETRY_POLICY } from './next-state.js';

function fieldOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return (e as ValidationError).field;
  }
  return undefined;
}

describe('resolveCoreConfig', () => {
  it('fills in the named defaults', () => {
    const c = resolveCoreConfig({});
    expect(c.worker.concurrency).toBe(DEFAULT_CONCURRENCY);
    expect(c.worker.leaseMs).toBe(DEFAULT_LEASE_MS);
    expect(c.worker.heartbeatMs).toBe(Math.floor(DEFAULT_LEASE_MS / 3));
    expect(c.worker.claimBatchSize).toBe(DEFAULT_CONCURRENCY);
    expect(c.policies).toEqual({ all: {}, queues: {} });
  });

  it('declares only the retention keys it sets (null = no limit, stored as "unlimited"); queue over all', () => {
    const c = resolveCoreConfig({
      retention: { completed: { maxCount: 50 } },
      queues: { emails: { concurrency: 2, retention: { completed: { maxAgeMs: 1_000 }, failed: { maxCount: null } } }, plain: { concurrency: 1 } },
    });
    expect(c.policies).toEqual({
      all: { retention: { completed: { maxCount: 50 } } },
      queues: { emails: { retention: { completed: { maxAgeMs: 1_000 }, failed: { maxCount: 'unlimited' } } } },
    });
    const emails = resolveQueuePolicy(c.policies.all, c.policies.queues.emails!);
    expect(emails.retention.completed).toEqual({ maxAgeMs: 1_000, maxCount: 50 });
    expect(emails.retention.failed).toEqual({ maxAgeMs: DEFAULT_RETENTION.failed.maxAgeMs, maxCount: null });
    expect(resolveQueuePolicy(c.policies.all).retention.completed).toEqual({ maxAgeMs: DEFAULT_RETENTION.completed.maxAgeMs, maxCount: 50 });
    expect(c.queues.emails?.concurrency).toBe(2);
  });

  it('names the offending field', () => {
    expect(fieldOf(() => resolveCoreConfig({ worker: { concurrency: 0 } }))).toBe('worker.concurrency');
    expect(fieldOf(() => resolveCoreConfig({ worker: { leaseMs: 'long' } }))).toBe('worker.leaseMs');
    expect(fieldOf(() => resolveCoreConfig({ worker: { concurency: 3 } }))).toBe('worker.concurency');
    expect(fieldOf(() => resolveCoreConfig({ queues: { 'bad name': {} } }))).toMatch(/^queues/);
    expect(fieldOf(() => resolveCoreConfig({ worker: { leaseMs: 1_000, heartbeatMs: 1_000 } }))).toBe('worker.heartbeatMs');
  });
});

describe('enqueue options', () => {
  it('rejects delay and runAt together, and invalid dates', () => {
    expect(fieldOf(() => parseOrThrow(enqueueOptionsSchema, { delayMs: 1, runAt: new Date() }, 'INVALID_OPTION', 'options'))).toBe('options.runAt');
    expect(fieldOf(() => parseOrThrow(enqueueOptionsSchema, { runAt: new Date('nope') }, 'INVALID_OPTION', 'options'))).toBe('options.runAt');
    expect(fieldOf(() => parseOrThrow(enqueueOptionsSchema, { priority: 1.5 }, 'INVALID_OPTION', 'options'))).toBe('options.priority');
  });
});

describe('resolveRetryPolicy', () => {
  it('defaults to exponential backoff with jitter', () => {
    expect(resolveRetryPolicy(undefined)).toEqual({ ...DEFAULT_RETRY_POLICY });
    expect(resolveRetryPolicy({ backoff: { type: 'fixed', delayMs: 5 } }).backoff).toEqual({ type: 'fixed', delayMs: 5 });
  });
});
