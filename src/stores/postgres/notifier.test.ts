import { describe, expect, it } from 'vitest';
import { cancelRequestedPayload, decodePayload, jobsAvailablePayload, Notifier } from './notifier.js';

describe('notifier payloads', () => {
  it('round-trips both kinds, queue names with colons included', () => {
    expect(decodePayload(jobsAvailablePayload('abc', 'mail:high'))).toEqual({ instanceId: 'abc', notification: { type: 'jobs-available', queue: 'mail:high' } });
    expect(decodePayload(cancelRequestedPayload('', '42'))).toEqual({ instanceId: '', notification: { type: 'cancel-requested', jobId: '42' } });
  });

  it('ignores payloads it does not know', () => {
    for (const p of ['', 'x', 'j:', 'j:abc', 'j:abc:', 'x:abc:q', 'jj:abc:q']) expect(decodePayload(p)).toBeNull();
  });
});

describe('notify throttle', () => {
  const make = (sent: string[][], intervalMs: number) =>
    new Notifier({
      channel: 'c',
      instanceId: 'me',
      createClient: () => {
        throw new Error('no LISTEN in this test');
      },
      sendNotify: async (p) => {
        sent.push(p);
      },
      notifyIntervalMs: intervalMs,
      reconnectMinMs: 10,
      reconnectMaxMs: 10,
      logger: { info() {}, warn() {}, error() {} },
    });

  it('gives one slot per queue per interval', () => {
    const n = make([], 100);
    expect(n.takeNotifySlot('a', 1_000)).toBe(true);
    expect(n.takeNotifySlot('a', 1_050)).toBe(false);
    expect(n.takeNotifySlot('b', 1_050)).toBe(true);
    expect(n.takeNotifySlot('a', 1_100)).toBe(true);
  });

  it('never throttles with interval 0', () => {
    const n = make([], 0);
    expect([1, 2, 3].map(() => n.takeNotifySlot('a', 5))).toEqual([true, true, true]);
  });

  it('sends one trailing NOTIFY for any number of suppressed wake-ups, and delivers locally at once', async () => {
    const sent: string[][] = [];
    const n = make(sent, 30);
    const local: unknown[] = [];
    // No server here: the LISTEN connection keeps failing (quietly retrying) while local delivery works.
    n.subscribe((x) => local.push(x));
    n.signalJobsAvailable(['a']);
    n.signalJobsAvailable(['a']);
    n.signalJobsAvailable(['a', 'a']);
    expect(local).toHaveLength(3);
    expect(sent).toEqual([['j:me:a']]);
    await new Promise((r) => setTimeout(r, 80));
    expect(sent).toEqual([['j:me:a'], ['j:me:a']]);
    await n.close();
  });
});
