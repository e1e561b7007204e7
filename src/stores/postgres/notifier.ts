import type { Client, Notification } from 'pg';
import type { StoreNotification } from '../../store/store.js';
import type { StoreLogger } from './options.js';

/**
 * Wake-ups across processes over LISTEN/NOTIFY, plus the in-process fan-out.
 *
 * Payloads are `j:<instance>:<queue>` (jobs available) and `c:<instance>:<jobId>`
 * (cancel requested). A store delivers its own events to its subscribers at
 * once, when its write commits, and drops their echo from the server; a NOTIFY
 * sent inside a user's transaction carries an empty instance, so it is
 * delivered by the echo (only after that transaction commits).
 */
export interface NotifierDeps {
  channel: string;
  instanceId: string;
  /** A fresh, unconnected client for the LISTEN connection. */
  createClient(): Client;
  /** Sends NOTIFYs on some pooled connection (one round trip for all). */
  sendNotify(payloads: string[]): Promise<void>;
  notifyIntervalMs: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  logger: StoreLogger;
}

export function jobsAvailablePayload(instanceId: string, queue: string): string {
  return `j:${instanceId}:${queue}`;
}
export function cancelRequestedPayload(instanceId: string, jobId: string): string {
  return `c:${instanceId}:${jobId}`;
}

export function decodePayload(payload: string): { instanceId: string; notification: StoreNotification } | null {
  const first = payload.indexOf(':');
  const second = payload.indexOf(':', first + 1);
  if (first !== 1 || second < 0) return null;
  const instanceId = payload.slice(2, second);
  const rest = payload.slice(second + 1);
  if (rest === '') return null;
  if (payload[0] === 'j') return { instanceId, notification: { type: 'jobs-available', queue: rest } };
  if (payload[0] === 'c') return { instanceId, notification: { type: 'cancel-requested', jobId: rest } };
  return null;
}

export class Notifier {
  private readonly listeners = new Set<(n: StoreNotification) => void>();
  private client: Client | null = null;
  private connecting = false;
  private closed = false;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private failures = 0;
  private outageStartedAt: number | null = null;
  private listeningWaiters: Array<() => void> = [];
  /** Queues seen in wake-ups; after a reconnect each gets one wake-up, since NOTIFYs sent during the outage are gone. */
  private readonly knownQueues = new Set<string>();
  // NOTIFY throttle, per queue.
  private readonly lastNotifyAt = new Map<string, number>();
  private readonly trailing = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(private readonly deps: NotifierDeps) {}

  get listening(): boolean {
    return this.client !== null && !this.connecting;
  }

  subscribe(listener: (n: StoreNotification) => void): () => void {
    this.listeners.add(listener);
    if (!this.client && !this.connecting && !this.reconnectTimer && !this.closed) void this.connect();
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Resolves once the LISTEN is in place (tests, and callers that need cross-process delivery from now on). */
  whenListening(): Promise<void> {
    if (this.listening || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.listeningWaiters.push(resolve));
  }

  /** Delivers to this process's subscribers (after a write of ours committed). */
  emitLocal(n: StoreNotification): void {
    if (n.type === 'jobs-available') this.knownQueues.add(n.queue);
    for (const l of [...this.listeners]) {
      try {
        l(n);
      } catch (e) {
        this.deps.logger.error({ err: e }, 'docket postgres: a store notification listener threw');
      }
    }
  }

  /**
   * Throttle, leading edge: may the caller put a NOTIFY for `queue` into its
   * write? Records the slot when it may.
   */
  takeNotifySlot(queue: string, now = Date.now()): boolean {
    const interval = this.deps.notifyIntervalMs;
    if (interval <= 0) return true;
    const last = this.lastNotifyAt.get(queue);
    if (last !== undefined && now - last < interval) return false;
    this.lastNotifyAt.set(queue, now);
    return true;
  }

  /**
   * Throttle, trailing edge: a committed write whose NOTIFY was suppressed
   * gets one at the end of the interval, so a wake-up is delayed, never lost.
   */
  notifySuppressed(queue: string): void {
    if (this.closed || this.trailing.has(queue)) return;
    const last = this.lastNotifyAt.get(queue) ?? 0;
    const wait = Math.max(0, last + this.deps.notifyIntervalMs - Date.now());
    const timer = setTimeout(() => {
      this.trailing.delete(queue);
      this.lastNotifyAt.set(queue, Date.now());
      this.deps.sendNotify([jobsAvailablePayload(this.deps.instanceId, queue)]).catch(() => {
        // Best-effort: workers poll too, and the outage is reported by the calls that fail.
      });
    }, wait);
    timer.unref?.();
    this.trailing.set(queue, timer);
  }

  /** Wakes workers of these queues everywhere: locally now, others by a (throttled) NOTIFY. */
  signalJobsAvailable(queues: Iterable<string>): void {
    const send: string[] = [];
    for (const q of new Set(queues)) {
      this.emitLocal({ type: 'jobs-available', queue: q });
      if (this.takeNotifySlot(q)) send.push(jobsAvailablePayload(this.deps.instanceId, q));
      else this.notifySuppressed(q);
    }
    if (send.length > 0) this.deps.sendNotify(send).catch(() => {});
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    for (const t of this.trailing.values()) clearTimeout(t);
    this.trailing.clear();
    this.listeners.clear();
    for (const w of this.listeningWaiters.splice(0)) w();
    const c = this.client;
    this.client = null;
    if (c) await c.end().catch(() => {});
  }

  // ---------------------------------------------------------------- LISTEN connection

  private async connect(): Promise<void> {
    if (this.closed) return;
    this.connecting = true;
    let client: Client;
    try {
      client = this.deps.createClient();
    } catch (e) {
      this.connecting = false;
      this.scheduleReconnect(e);
      return;
    }
    let lost = false;
    const onLost = (err?: unknown) => {
      if (lost) return;
      lost = true;
      if (this.client === client) this.client = null;
      client.removeAllListeners('notification');
      client.end().catch(() => {});
      if (!this.closed && !this.connecting) this.scheduleReconnect(err);
    };
    client.on('error', onLost);
    client.on('end', () => onLost(new Error('LISTEN connection ended')));
    client.on('notification', (msg: Notification) => this.onNotification(msg));
    try {
      await client.connect();
      await client.query(`LISTEN "${this.deps.channel}"`);
    } catch (e) {
      lost = true;
      client.end().catch(() => {});
      this.connecting = false;
      this.scheduleReconnect(e);
      return;
    }
    this.connecting = false;
    if (this.closed || lost) {
      if (this.closed) client.end().catch(() => {});
      else this.scheduleReconnect(new Error('LISTEN connection lost while connecting'));
      return;
    }
    this.client = client;
    const recovered = this.outageStartedAt !== null;
    if (recovered) {
      this.deps.logger.info(
        { channel: this.deps.channel, outageMs: Date.now() - this.outageStartedAt!, attempts: this.failures },
        'docket postgres: LISTEN connection restored',
      );
    }
    this.failures = 0;
    this.outageStartedAt = null;
    for (const w of this.listeningWaiters.splice(0)) w();
    if (recovered) for (const q of this.knownQueues) this.emitLocal({ type: 'jobs-available', queue: q });
  }

  private scheduleReconnect(err: unknown): void {
    if (this.closed || this.reconnectTimer) return;
    if (this.outageStartedAt === null) {
      this.outageStartedAt = Date.now();
      // Once per outage, not once per attempt.
      this.deps.logger.warn(
        { err, channel: this.deps.channel },
        'docket postgres: LISTEN connection lost; reconnecting with backoff (workers poll meanwhile)',
      );
    }
    this.failures++;
    const { reconnectMinMs: min, reconnectMaxMs: max } = this.deps;
    const base = Math.min(max, min * 2 ** Math.min(this.failures - 1, 20));
    const delay = Math.round(base / 2 + (Math.random() * base) / 2);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      void this.connect();
    }, delay);
    this.reconnectTimer.unref?.();
  }

  private onNotification(msg: Notification): void {
    if (msg.channel !== this.deps.channel || msg.payload === undefined) return;
    const decoded = decodePayload(msg.payload);
    if (!decoded || decoded.instanceId === this.deps.instanceId) return;
    this.emitLocal(decoded.notification);
  }
}
