import { expect } from 'vitest';
import { MAX_JSON_DEPTH } from '../../core/validate.js';
import type { Define } from './harness.js';
import { claim, claimJob, enqueueOne, expectCode, expectUnchanged, newJob, settle } from './helpers.js';

/** `[[[ … ]]]`, `depth` arrays deep. */
const deepJson = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`;

/**
 * Issue 11: what a store accepts is what every store can read back, and the
 * same input means the same on every store (core/validate.ts: MAX_JSON_DEPTH,
 * the text rule). A refused batch writes nothing, and the other jobs run on.
 */
export function inputRuleTests(test: Define): void {
  test('a payload nested 1,001 or 100,000 deep is refused with INVALID_DATA, nothing is written, other queues run on', async (store) => {
    const other = await enqueueOne(store, { queue: 'other', data: { fine: true } });
    for (const depth of [MAX_JSON_DEPTH + 1, 1_001, 100_000]) {
      await expectUnchanged(store, async () => {
        const e = await expectCode(store.enqueue({ jobs: [newJob({ queue: 'first' }), { ...newJob(), dataJson: deepJson(depth) }] }), 'INVALID_DATA');
        expect(e).toMatchObject({ field: 'jobs[1].dataJson' });
        expect(e.message).toMatch(/nested more than 100 levels deep/);
      });
    }
    // The limit itself is stored and read back as it was.
    const deepest = await enqueueOne(store, { queue: 'limit', data: JSON.parse(deepJson(MAX_JSON_DEPTH)) as unknown });
    expect((await store.getJob({ jobId: deepest.id }))!.data).toEqual(JSON.parse(deepJson(MAX_JSON_DEPTH)));
    // Claims of every queue go on.
    const claimed = await claimJob(store, other);
    expect(claimed.data).toEqual({ fine: true });
    expect(await settle(store, claimed, { kind: 'complete', resultJson: null })).toBe('applied');
    expect((await claim(store, { queue: 'limit' })).map((j) => j.id)).toEqual([deepest.id]);
    expect((await store.listJobs({ limit: 10 })).jobs).toHaveLength(2);
  });

  test('data text that is not exactly one JSON value is refused with INVALID_DATA, nothing is written', async (store) => {
    for (const dataJson of ['{', '1 2', '', '[1,]', '{"a":1}}']) {
      await expectUnchanged(store, async () => {
        const e = await expectCode(store.enqueue({ jobs: [newJob(), { ...newJob(), dataJson }] }), 'INVALID_DATA');
        expect(e).toMatchObject({ field: 'jobs[1].dataJson' });
      });
    }
  });

  test('NUL and lone surrogates are refused in data, keys and names, never altered (INVALID_DATA / INVALID_OPTION naming the field)', async (store) => {
    const cases: Array<[Partial<ReturnType<typeof newJob>>, string, string]> = [
      [{ dataJson: '{"s":"a\\u0000b"}' }, 'INVALID_DATA', 'jobs[1].dataJson'],
      [{ dataJson: '{"a\\u0000":1}' }, 'INVALID_DATA', 'jobs[1].dataJson'],
      [{ dataJson: '["\\ud800"]' }, 'INVALID_DATA', 'jobs[1].dataJson'],
      [{ dataJson: '"\ud800"' }, 'INVALID_DATA', 'jobs[1].dataJson'],
      [{ idempotencyKey: 'key\u0000' }, 'INVALID_OPTION', 'jobs[1].idempotencyKey'],
      [{ idempotencyKey: 'key\ud800' }, 'INVALID_OPTION', 'jobs[1].idempotencyKey'],
      [{ idempotencyKey: '\udc00key' }, 'INVALID_OPTION', 'jobs[1].idempotencyKey'],
      [{ scheduleName: 'nightly\u0000' }, 'INVALID_OPTION', 'jobs[1].scheduleName'],
    ];
    for (const [overrides, code, field] of cases) {
      await expectUnchanged(store, async () => {
        const e = await expectCode(store.enqueue({ jobs: [newJob({ idempotencyKey: 'fine' }), { ...newJob(), ...overrides }] }), code);
        expect(e).toMatchObject({ field });
      });
    }
    // What is valid is kept exactly: a surrogate pair, escaped or raw, and keys that differ only there.
    const kept = await store.enqueue({
      jobs: [
        { ...newJob(), dataJson: '{"e":"\\ud83d\\ude00","r":"😀"}', idempotencyKey: 'k😀' },
        { ...newJob(), idempotencyKey: 'k😁' },
      ],
    });
    expect(kept.map((r) => r.created)).toEqual([true, true]);
    const stored = await store.getJobs({ jobIds: kept.map((r) => r.id) });
    expect(stored.map((j) => [j.idempotencyKey, j.data])).toEqual([
      ['k😀', { e: '😀', r: '😀' }],
      ['k😁', {}],
    ]);
  });

  test('a result nested too deep or holding NUL is refused before it is stored; the attempt can still end', async (store) => {
    const job = await enqueueOne(store);
    const claimed = await claimJob(store, job);
    for (const resultJson of [deepJson(1_001), deepJson(100_000), '"a\\u0000"', '{']) {
      const e = await expectCode(
        store.applyTransitions({ transitions: [{ jobId: claimed.id, leaseToken: claimed.leaseToken, outcome: { kind: 'complete', resultJson } }] }),
        'INVALID_DATA',
      );
      expect(e).toMatchObject({ field: 'transitions[0].outcome.resultJson' });
      expect((await store.getJob({ jobId: job.id }))!.state).toBe('active');
    }
    expect(await settle(store, claimed, { kind: 'complete', resultJson: deepJson(MAX_JSON_DEPTH) })).toBe('applied');
    expect((await store.getJob({ jobId: job.id }))!.result).toEqual(JSON.parse(deepJson(MAX_JSON_DEPTH)));
  });
}
