import type { Clock, TimerHandle } from '../../core/clock.js';
import type { DocketEventName, DocketListener } from '../../runtime/events.js';
import type { JobAdminApi } from '../../jobs/job-admin.js';
import type { QueueCounts } from '../../store/store.js';

/**
 * Server-sent events for `/api/v1/events`.
 *
 * - Job and schedule events of THIS process's Docket are forwarded as they
 *   happen.
 * - Changes made by other processes are not pushed: every `snapshotMs` a
 *   `counts` event carries the per-queue counts read from the store, so a
 *   dashboard sees global movement at that resolution. (Tailing the store's
 *   job table per client would cost a query per client per tick; one shared
 *   snapshot costs one query per tick for all clients.)
 * - A `: heartbeat` comment every `heartbeatMs` keeps proxies from closing an
 *   idle connection.
 * - No replay: ids are per process and Last-Event-ID is ignored.
 * - A client that does not read is dropped after `maxQueued` unread messages
 *   (it gets a `dropped` event first; EventSource reconnects by itself).
 */

export interface EventStreamSource {
  readonly jobs: Pick<JobAdminApi, 'counts' | 'now'>;
  on<E extends DocketEventName>(event: E, listener: DocketListener<E>): () => void;
}

export interface EventStreamOptions {
  clock: Clock;
  heartbeatMs: number;
  snapshotMs: number;
  maxQueued: number;
  onError?: (error: unknown) => void;
}

export const DEFAULT_SSE_HEARTBEAT_MS = 15_000;
export const DEFAULT_SSE_SNAPSHOT_MS = 5_000;
export const DEFAULT_SSE_MAX_QUEUED = 1_000;

/**
 * Events forwarded to clients. `result` is left out of job:completed (fetch the job for it).
 * Schedule events come from the process whose scheduler claimed the fire (or that triggered it).
 */
export const FORWARDED_EVENTS = [
  'job:enqueued',
  'job:started',
  'job:progress',
  'job:completed',
  'job:retrying',
  'job:failed',
  'job:cancelled',
  'job:snoozed',
  'job:released',
  'job:stalled',
  'job:lease-lost',
  'schedule:fired',
  'schedule:misfired',
  'schedule:skipped',
  'schedule:removed',
] as const satisfies readonly DocketEventName[];

export interface EventFilter {
  queue?: string;
  name?: string;
  jobId?: string;
}

interface Client {
  filter: EventFilter;
  controller: ReadableStreamDefaultController<Uint8Array>;
}

const encoder = new TextEncoder();

export class EventStreamHub {
  private readonly clients = new Set<Client>();
  private unsubscribe: Array<() => void> = [];
  private heartbeatTimer: TimerHandle | null = null;
  private snapshotTimer: TimerHandle | null = null;
  private seq = 0;
  private closed = false;

  constructor(
    private readonly source: EventStreamSource,
    private readonly options: EventStreamOptions,
  ) {}

  get clientCount(): number {
    return this.clients.size;
  }

  /** A new client's stream; it starts with a `counts` snapshot. */
  open(filter: EventFilter): ReadableStream<Uint8Array> {
    let client: Client;
    return new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          client = { filter, controller };
          if (this.closed) {
            controller.close();
            return;
          }
          this.clients.add(client);
          controller.enqueue(encoder.encode('retry: 3000\n\n'));
          if (this.clients.size === 1) this.attach();
          void this.snapshot([client]);
        },
        cancel: () => this.remove(client),
      },
      { highWaterMark: 0 },
    );
  }

  /** Ends every stream and detaches from the Docket. */
  close(): void {
    this.closed = true;
    for (const client of [...this.clients]) {
      this.remove(client);
      try {
        client.controller.close();
      } catch {
        // already closed by the client
      }
    }
  }

  private attach(): void {
    for (const event of FORWARDED_EVENTS) {
      this.unsubscribe.push(this.source.on(event, ((payload: Record<string, unknown>) => this.broadcast(event, payload)) as DocketListener<typeof event>));
    }
    this.armHeartbeat();
    this.armSnapshot();
  }

  private detach(): void {
    for (const off of this.unsubscribe.splice(0)) off();
    if (this.heartbeatTimer) this.options.clock.clearTimeout(this.heartbeatTimer);
    if (this.snapshotTimer) this.options.clock.clearTimeout(this.snapshotTimer);
    this.heartbeatTimer = this.snapshotTimer = null;
  }

  private remove(client: Client): void {
    if (!this.clients.delete(client)) return;
    if (this.clients.size === 0) this.detach();
  }

  private armHeartbeat(): void {
    this.heartbeatTimer = this.options.clock.setTimeout(() => {
      for (const client of this.clients) this.send(client, ': heartbeat\n\n');
      if (this.clients.size > 0) this.armHeartbeat();
    }, this.options.heartbeatMs);
    this.heartbeatTimer.unref?.();
  }

  private armSnapshot(): void {
    this.snapshotTimer = this.options.clock.setTimeout(() => {
      void this.snapshot([...this.clients]).finally(() => {
        if (this.clients.size > 0 && !this.closed) this.armSnapshot();
      });
    }, this.options.snapshotMs);
    this.snapshotTimer.unref?.();
  }

  private async snapshot(clients: Client[]): Promise<void> {
    let counts: QueueCounts[];
    let at: Date;
    try {
      [counts, at] = await Promise.all([this.source.jobs.counts(), this.source.jobs.now()]);
    } catch (error) {
      this.options.onError?.(error);
      return;
    }
    for (const client of clients) {
      if (!this.clients.has(client)) continue;
      const queues = client.filter.queue ? counts.filter((c) => c.queue === client.filter.queue) : counts;
      this.send(client, this.message('counts', { at: at.toISOString(), queues }));
    }
  }

  private broadcast(event: string, payload: Record<string, unknown>): void {
    if (this.clients.size === 0) return;
    let text: string | null = null;
    for (const client of this.clients) {
      const f = client.filter;
      if (f.queue && payload.queue !== f.queue) continue;
      if (f.name && payload.name !== f.name) continue;
      if (f.jobId && payload.jobId !== f.jobId) continue;
      text ??= this.message(event, toWire(event, payload));
      this.send(client, text);
    }
  }

  private message(event: string, data: unknown): string {
    return `id: ${++this.seq}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
  }

  private send(client: Client, text: string): void {
    const { controller } = client;
    // highWaterMark 0: desiredSize is minus the number of unread chunks
    if ((controller.desiredSize ?? 0) < -this.options.maxQueued) {
      this.remove(client);
      try {
        controller.enqueue(encoder.encode(this.message('dropped', { reason: `more than ${this.options.maxQueued} unread messages` })));
        controller.close();
      } catch {
        // closed meanwhile
      }
      return;
    }
    try {
      controller.enqueue(encoder.encode(text));
    } catch {
      this.remove(client);
    }
  }
}

function toWire(event: string, payload: Record<string, unknown>): Record<string, unknown> {
  if (event === 'job:completed') {
    const { result: _result, ...rest } = payload;
    return rest;
  }
  return payload;
}
