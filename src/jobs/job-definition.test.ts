import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_ATTEMPTS, DEFAULT_PRIORITY, DEFAULT_QUEUE, DEFAULT_RETRY_POLICY } from '../core/config.js';
import { JobRegistry, resolveJobDefinition } from './job-definition.js';

const handler = async () => 1;

describe('resolveJobDefinition', () => {
  it('fills in the named defaults', () => {
    const def = resolveJobDefinition('send-email', { handler });
    expect(def).toMatchObject({ name: 'send-email', queue: DEFAULT_QUEUE, priority: DEFAULT_PRIORITY, maxAttempts: DEFAULT_MAX_ATTEMPTS, timeoutMs: null, schema: null });
    expect(def.retry).toEqual(DEFAULT_RETRY_POLICY);
  });

  it('keeps given options', () => {
    const def = resolveJobDefinition('x', { handler, queue: 'emails', priority: 5, maxAttempts: 7, timeoutMs: 100, retry: { backoff: { type: 'fixed', delayMs: 10 }, jitter: 0 } });
    expect(def).toMatchObject({ queue: 'emails', priority: 5, maxAttempts: 7, timeoutMs: 100 });
    expect(def.retry).toEqual({ backoff: { type: 'fixed', delayMs: 10 }, jitter: 0, maxDelayMs: DEFAULT_RETRY_POLICY.maxDelayMs });
  });

  it.each([
    ['bad name', { handler }, 'INVALID_NAME', 'name'],
    ['x', { handler, queue: 'no spaces' }, 'INVALID_NAME', 'jobs.x.queue'],
    ['x', { handler: 'nope' }, 'INVALID_OPTION', 'jobs.x.handler'],
    ['x', { handler, maxAttempts: 0 }, 'INVALID_OPTION', 'jobs.x.maxAttempts'],
    ['x', { handler, retry: { jitter: 2 } }, 'INVALID_OPTION', 'jobs.x.retry.jitter'],
    ['x', { handler, typo: 1 }, 'INVALID_OPTION', 'jobs.x.typo'],
    ['x', { handler, schema: {} }, 'INVALID_OPTION', 'jobs.x.schema'],
  ])('rejects %s %j with %s at %s', (name, input, code, field) => {
    expect(() => resolveJobDefinition(name, input as never)).toThrow(expect.objectContaining({ code, field }));
  });
});

describe('JobRegistry', () => {
  it('refuses a second definition of a name and reports unknown names', () => {
    const registry = new JobRegistry();
    registry.add(resolveJobDefinition('a', { handler, queue: 'q1' }) as never);
    registry.add(resolveJobDefinition('b', { handler, queue: 'q1' }) as never);
    expect(() => registry.add(resolveJobDefinition('a', { handler }) as never)).toThrow(expect.objectContaining({ code: 'DUPLICATE_JOB_DEFINITION' }));
    expect(() => registry.require('c')).toThrow(expect.objectContaining({ code: 'UNKNOWN_JOB' }));
    expect(registry.names()).toEqual(['a', 'b']);
    expect(registry.queues()).toEqual(['q1']);
  });
});
