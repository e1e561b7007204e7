import { describe, expect, it } from 'vitest';
import { ValidationError } from './errors.js';
import {
  ALL_QUEUES,
  DEFAULT_QUEUE_POLICY,
  DEFAULT_RETENTION,
  applyPolicyPatch,
  declaredChanges,
  parseQueuePolicyPatch,
  readPolicyOverrides,
  resolveQueuePolicy,
} from './queue-policy.js';

describe('queue policy', () => {
  it('resolves defaults, then each layer; unlimited is null (no limit)', () => {
    expect(resolveQueuePolicy()).toEqual(DEFAULT_QUEUE_POLICY);
    const p = resolveQueuePolicy({ retention: { completed: { maxCount: 5 }, failed: { maxAgeMs: 'unlimited' } } }, { paused: true, retention: { completed: { maxCount: 7 } } });
    expect(p).toEqual({
      paused: true,
      retention: { ...DEFAULT_RETENTION, completed: { maxAgeMs: DEFAULT_RETENTION.completed.maxAgeMs, maxCount: 7 }, failed: { maxAgeMs: null, maxCount: DEFAULT_RETENTION.failed.maxCount } },
    });
  });

  it('applies a merge patch: set, keep, null clears, empty groups vanish; input is not changed', () => {
    const current = { paused: true, retention: { completed: { maxCount: 1, maxAgeMs: 2 } } };
    expect(applyPolicyPatch(current, { retention: { completed: { maxCount: null } }, paused: false })).toEqual({ retention: { completed: { maxAgeMs: 2 } } });
    expect(applyPolicyPatch(current, { retention: { completed: { maxCount: null, maxAgeMs: null } } })).toEqual({ paused: true });
    expect(applyPolicyPatch(current, { retention: { failed: { maxCount: 'unlimited' } } })).toEqual({ ...current, retention: { ...current.retention, failed: { maxCount: 'unlimited' } } });
    expect(applyPolicyPatch(current, {})).toEqual(current);
    expect(current).toEqual({ paused: true, retention: { completed: { maxCount: 1, maxAgeMs: 2 } } });
  });

  it('refuses bad patches naming the field; paused only per queue', () => {
    const field = (input: unknown, queue?: string) => {
      try {
        parseQueuePolicyPatch(input, 'policy', queue);
      } catch (e) {
        expect(e).toBeInstanceOf(ValidationError);
        expect((e as ValidationError).code).toBe('INVALID_OPTION');
        return (e as ValidationError).field;
      }
      return null;
    };
    expect(field({ retention: { completed: { maxCount: -1 } } })).toBe('policy.retention.completed.maxCount');
    expect(field({ retention: { completed: { max: 1 } } })).toBe('policy.retention.completed.max');
    expect(field({ rateLimit: 1 })).toBe('policy.rateLimit');
    expect(field({ paused: true }, ALL_QUEUES)).toBe('policy.paused');
    expect(field({ paused: true, retention: { failed: null } })).toBeNull();
  });

  it('reads stored overrides leniently: unknown keys and bad values (a newer version) are ignored', () => {
    expect(readPolicyOverrides({ concurrency: 3, retention: { completed: { maxCount: 4, maxAgeMs: -1 }, weird: {} } }, false)).toEqual({ retention: { completed: { maxCount: 4 } } });
    expect(readPolicyOverrides(null, true)).toEqual({ paused: true });
  });

  it('declaredChanges lists declared keys whose stored value differs', () => {
    expect(declaredChanges({ retention: { completed: { maxCount: 5 } } }, { retention: { completed: { maxCount: 7, maxAgeMs: 1 } } })).toEqual([
      { key: 'retention.completed.maxAgeMs', stored: undefined, declared: 1 },
      { key: 'retention.completed.maxCount', stored: 5, declared: 7 },
    ]);
    expect(declaredChanges({ retention: { completed: { maxCount: 7 } } }, { retention: { completed: { maxCount: 7 } } })).toEqual([]);
  });
});
