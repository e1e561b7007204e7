import { expect } from 'vitest';
import { ALL_QUEUES, UNLIMITED, type QueuePolicyPatch } from '../../core/queue-policy.js';
import { emptyCounts } from '../store.js';
import type { Define } from './harness.js';
import { enqueueOne, expectCode, expectUnchanged, nextNotification, runToOutcome } from './helpers.js';

/** Queue policy as store state (core/queue-policy.ts): merge-patch writes, reads in listQueues/getQueuePolicy, input checks. */
export function queuePolicyTests(test: Define): void {
  test('setQueuePolicy stores only the keys given; listQueues and getQueuePolicy read them back', async (store) => {
    const r = await store.setQueuePolicy({ queue: 'mail', policy: { retention: { completed: { maxCount: 500 } } } });
    expect(r).toEqual({ previous: {}, policy: { retention: { completed: { maxCount: 500 } } } });
    expect(await store.listQueues()).toEqual([{ queue: 'mail', paused: false, counts: emptyCounts(), policy: { retention: { completed: { maxCount: 500 } } } }]);
    expect(await store.getQueuePolicy({ queue: 'mail' })).toEqual({ retention: { completed: { maxCount: 500 } } });
    expect(await store.getQueuePolicy({ queue: 'never-set' })).toEqual({});
  });

  test('a patch changes only its keys; null clears a key, a rule or all retention back to the default', async (store) => {
    await store.setQueuePolicy({ queue: 'mail', policy: { retention: { completed: { maxCount: 500, maxAgeMs: 60_000 }, failed: { maxAgeMs: UNLIMITED } } } });
    let r = await store.setQueuePolicy({ queue: 'mail', policy: { retention: { completed: { maxCount: 7 } } } });
    expect(r.policy).toEqual({ retention: { completed: { maxCount: 7, maxAgeMs: 60_000 }, failed: { maxAgeMs: UNLIMITED } } });
    r = await store.setQueuePolicy({ queue: 'mail', policy: { retention: { completed: { maxAgeMs: null } } } });
    expect(r.policy).toEqual({ retention: { completed: { maxCount: 7 }, failed: { maxAgeMs: UNLIMITED } } });
    r = await store.setQueuePolicy({ queue: 'mail', policy: { retention: { failed: null } } });
    expect(r.previous).toEqual({ retention: { completed: { maxCount: 7 }, failed: { maxAgeMs: UNLIMITED } } });
    expect(r.policy).toEqual({ retention: { completed: { maxCount: 7 } } });
    r = await store.setQueuePolicy({ queue: 'mail', policy: { retention: null } });
    expect(r.policy).toEqual({});
    expect(await store.getQueuePolicy({ queue: 'mail' })).toEqual({});
  });

  test('paused is a policy key: setQueuePaused and setQueuePolicy share it, and retention keys survive a pause', async (store) => {
    await store.setQueuePolicy({ queue: 'mail', policy: { retention: { cancelled: { maxCount: 3 } } } });
    await store.setQueuePaused({ queue: 'mail', paused: true });
    expect(await store.getQueuePolicy({ queue: 'mail' })).toEqual({ paused: true, retention: { cancelled: { maxCount: 3 } } });
    const [q] = await store.listQueues();
    expect(q).toMatchObject({ queue: 'mail', paused: true, policy: { paused: true, retention: { cancelled: { maxCount: 3 } } } });
    const woken = nextNotification(store, (n) => n.type === 'jobs-available' && n.queue === 'mail');
    const r = await store.setQueuePolicy({ queue: 'mail', policy: { paused: null } });
    expect(await woken.promise).toEqual({ type: 'jobs-available', queue: 'mail' });
    expect(r).toEqual({ previous: { paused: true, retention: { cancelled: { maxCount: 3 } } }, policy: { retention: { cancelled: { maxCount: 3 } } } });
    expect((await store.listQueues())[0]!.paused).toBe(false);
    await store.setQueuePolicy({ queue: 'mail', policy: { paused: true } });
    expect((await store.listQueues())[0]!.paused).toBe(true);
  });

  test('a queue paused through setQueuePolicy is not claimed from', async (store) => {
    await enqueueOne(store, { queue: 'mail' });
    await store.setQueuePolicy({ queue: 'mail', policy: { paused: true } });
    expect(await store.claimJobs({ workerId: 'w', queues: [{ queue: 'mail', limit: 5 }], names: ['conformance-job'], leaseMs: 30_000 })).toEqual([]);
    await store.setQueuePolicy({ queue: 'mail', policy: { paused: false } });
    expect(await store.claimJobs({ workerId: 'w', queues: [{ queue: 'mail', limit: 5 }], names: ['conformance-job'], leaseMs: 30_000 })).toHaveLength(1);
  });

  test('ALL_QUEUES holds overrides for every queue, is never listed as a queue, and refuses paused', async (store) => {
    await runToOutcome(store, { kind: 'complete', resultJson: null }, { queue: 'mail' });
    await store.setQueuePolicy({ queue: ALL_QUEUES, policy: { retention: { completed: { maxAgeMs: 1_000 } } } });
    expect(await store.getQueuePolicy({ queue: ALL_QUEUES })).toEqual({ retention: { completed: { maxAgeMs: 1_000 } } });
    expect((await store.listQueues()).map((q) => q.queue)).toEqual(['mail']);
    expect((await store.countJobs()).map((q) => q.queue)).toEqual(['mail']);
    await expectUnchanged(store, () => expectCode(store.setQueuePolicy({ queue: ALL_QUEUES, policy: { paused: true } }), 'INVALID_OPTION'));
    expect(await store.getQueuePolicy({ queue: ALL_QUEUES })).toEqual({ retention: { completed: { maxAgeMs: 1_000 } } });
  });

  test('bad input is a typed ValidationError naming the field, and nothing is written', async (store) => {
    await store.setQueuePolicy({ queue: 'mail', policy: { retention: { completed: { maxCount: 5 } } } });
    const bad: Array<[unknown, string, string]> = [
      [{ retention: { completed: { maxCount: -1 } } }, 'INVALID_OPTION', 'policy.retention.completed.maxCount'],
      [{ retention: { completed: { maxCount: 1.5 } } }, 'INVALID_OPTION', 'policy.retention.completed.maxCount'],
      [{ retention: { completed: { maxCount: 2 ** 31 } } }, 'INVALID_OPTION', 'policy.retention.completed.maxCount'],
      [{ retention: { failed: { maxAgeMs: 'forever' } } }, 'INVALID_OPTION', 'policy.retention.failed.maxAgeMs'],
      [{ retention: { done: { maxCount: 1 } } }, 'INVALID_OPTION', 'policy.retention.done'],
      [{ retention: { completed: { maxCount: 1, keep: 2 } } }, 'INVALID_OPTION', 'policy.retention.completed.keep'],
      [{ concurency: 3 }, 'INVALID_OPTION', 'policy.concurency'],
      [{ paused: 'yes' }, 'INVALID_OPTION', 'policy.paused'],
      ['{}', 'INVALID_OPTION', 'policy'],
      [null, 'INVALID_OPTION', 'policy'],
    ];
    for (const [policy, code, field] of bad) {
      await expectUnchanged(store, async () => {
        const e = await expectCode(store.setQueuePolicy({ queue: 'mail', policy: policy as QueuePolicyPatch }), code);
        expect(e).toMatchObject({ field });
      });
    }
    await expectUnchanged(store, () => expectCode(store.setQueuePolicy({ queue: 'bad queue!', policy: { paused: true } }), 'INVALID_NAME'));
    await expectCode(store.getQueuePolicy({ queue: 'bad queue!' }), 'INVALID_NAME');
    expect(await store.getQueuePolicy({ queue: 'mail' })).toEqual({ retention: { completed: { maxCount: 5 } } });
  });
}
