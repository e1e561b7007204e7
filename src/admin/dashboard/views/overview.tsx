import { FINISHED_STATES, JOB_STATES, type JobState } from '../../../core/job.js';
import type { QueuePolicy } from '../../../core/queue-policy.js';
import type { QueueInfo, StateCounts, WorkerInfo } from '../../../store/store.js';
import type { Throughput } from '../throughput.js';
import { duration, num, Time } from './format.js';
import { Layout, type ViewContext } from './layout.js';
import { ActionButton } from './actions.js';
import { useHref } from './base-path.js';

export interface OverviewData {
  queues: Array<QueueInfo & { effectivePolicy: QueuePolicy; concurrency: number | null }>;
  totals: StateCounts;
  workers: WorkerInfo[];
  throughput: Throughput | null;
  at: Date;
}

export function OverviewPage(props: { view: ViewContext; data: OverviewData }) {
  return (
    <Layout title="Overview" view={props.view} live="/live">
      <h1>Overview</h1>
      <OverviewLive view={props.view} data={props.data} />
      <Charts throughput={props.data.throughput} />
    </Layout>
  );
}

/** Counts, queues and workers: refreshed on any job event (throttled) and every 10 s for other processes' changes. */
export function OverviewLive(props: { view: ViewContext; data: OverviewData }) {
  const href = useHref();
  const { queues, totals, workers } = props.data;
  return (
    <div id="overview-live" hx-get={href('/?part=live')} hx-trigger="dk-change from:body throttle:2s, every 10s" hx-swap="outerHTML">
      <ul class="totals" aria-label="jobs by state">
        {JOB_STATES.map((s) => (
          <li class={`total state-${s}`}>
            <a href={href(`/jobs?state=${s}`)}>
              <span class="n" data-total={s}>
                {num(totals[s])}
              </span>
              <span class="label">{s}</span>
            </a>
          </li>
        ))}
      </ul>
      <section class="card">
        <h2>Queues</h2>
        {queues.length === 0 ? (
          <p class="muted">No queue has jobs yet.</p>
        ) : (
          <div class="scroll">
            <table class="queues">
              <thead>
                <tr>
                  <th scope="col">queue</th>
                  <th scope="col">status</th>
                  {JOB_STATES.map((s) => (
                    <th scope="col" class="num">
                      {s}
                    </th>
                  ))}
                  <th scope="col" class="num" title="this process's per-worker setting">
                    concurrency
                  </th>
                  <th scope="col" title="queue policy, the same in every process: finished jobs kept (max age / max count); * = set for this queue (docket queues set, PATCH /api/v1/queues/{queue})">
                    retention
                  </th>
                  {props.view.canAct ? <th scope="col">actions</th> : null}
                </tr>
              </thead>
              <tbody>
                {queues.map((q) => (
                  <tr data-queue={q.queue}>
                    <th scope="row">
                      <a href={href(`/jobs?queue=${encodeURIComponent(q.queue)}`)}>{q.queue}</a>
                    </th>
                    <td>{q.paused ? <span class="badge paused">paused</span> : <span class="badge running">running</span>}</td>
                    {JOB_STATES.map((s: JobState) => (
                      <td class="num" data-count={s}>
                        <a href={href(`/jobs?queue=${encodeURIComponent(q.queue)}&state=${s}`)}>{num(q.counts[s])}</a>
                      </td>
                    ))}
                    <td class="num">{q.concurrency ?? '—'}</td>
                    <td class="retention">
                      <Retention queue={q} />
                    </td>
                    {props.view.canAct ? (
                      <td>
                        {q.paused ? (
                          <ActionButton action={`/queues/${encodeURIComponent(q.queue)}/resume`} label="Resume" />
                        ) : (
                          <ActionButton action={`/queues/${encodeURIComponent(q.queue)}/pause`} label="Pause" confirm={`Pause queue ${q.queue}? Workers stop claiming from it; running jobs finish.`} />
                        )}
                      </td>
                    ) : null}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <section class="card">
        <h2>
          Active workers <span class="count">{workers.length}</span>
        </h2>
        {workers.length === 0 ? (
          <p class="muted">No worker has sent a heartbeat in the last 15 s.</p>
        ) : (
          <ul class="workers-brief">
            {workers.map((w) => (
              <li>
                <a href={href('/workers')}>{`${w.host} · pid ${w.pid}`}</a> <span class="muted">{w.queues.join(', ')}</span>{' '}
                <span>
                  {w.activeJobs}/{w.concurrency} busy
                </span>{' '}
                <span class="muted">
                  up {duration(props.data.at.getTime() - w.startedAt.getTime())}, heartbeat <Time at={w.lastHeartbeatAt} relative />
                </span>
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}

/** The queue's effective retention per finished state, e.g. "completed 7 d 0 h / 10,000"; `*` marks a value set for this queue. */
function Retention(props: { queue: QueueInfo & { effectivePolicy: QueuePolicy } }) {
  const { effectivePolicy, policy } = props.queue;
  return (
    <ul class="retention-rules" aria-label="retention">
      {FINISHED_STATES.map((s) => {
        const r = effectivePolicy.retention[s];
        const set = policy.retention?.[s];
        const mark = (k: 'maxAgeMs' | 'maxCount') => (set?.[k] !== undefined ? '*' : '');
        return (
          <li data-retention={s}>
            <span class="muted">{s}</span> {r.maxAgeMs === null ? 'any age' : duration(r.maxAgeMs)}
            {mark('maxAgeMs')} / {r.maxCount === null ? 'any count' : num(r.maxCount)}
            {mark('maxCount')}
          </li>
        );
      })}
    </ul>
  );
}

/** Throughput and failures per minute over the last hour; redrawn every 30 s. */
export function Charts(props: { throughput: Throughput | null }) {
  const href = useHref();
  const t = props.throughput;
  if (!t) {
    return (
      <section class="card" id="charts">
        <h2>Last hour</h2>
        <p class="muted">This store does not report finished-job statistics (Store.jobStats), so there are no charts.</p>
      </section>
    );
  }
  const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);
  const completed = sum(t.completed);
  const failed = sum(t.failed);
  const series = JSON.stringify({ t: t.t, completed: t.completed, failed: t.failed, cancelled: t.cancelled });
  return (
    <section class="card charts" id="charts" hx-get={href('/?part=charts')} hx-trigger="every 30s" hx-swap="outerHTML">
      <h2>Last hour</h2>
      <p class="summary">
        <span>{num(completed)} completed</span> · <span>{num(failed)} failed</span> · <span>{num(sum(t.cancelled))} cancelled</span> ·{' '}
        <span>{completed + failed === 0 ? 'no failures' : `${((100 * failed) / (completed + failed)).toFixed(1)} % failed`}</span>
      </p>
      <div class="chart-grid">
        <figure>
          <figcaption>Finished jobs per minute</figcaption>
          <div class="chart" data-chart="throughput" data-series={series} role="img" aria-label="completed and failed jobs per minute over the last hour"></div>
        </figure>
        <figure>
          <figcaption>Failure rate per minute (%)</figcaption>
          <div class="chart" data-chart="failures" data-series={series} role="img" aria-label="share of finished jobs that failed, per minute, over the last hour"></div>
        </figure>
      </div>
    </section>
  );
}
