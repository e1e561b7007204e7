import type { JobRecord } from '../../../core/job.js';
import { ActionButton } from './actions.js';
import { duration, JsonBlock, StateBadge, Time } from './format.js';
import { Layout, type ViewContext } from './layout.js';
import { useHref } from './base-path.js';

const UNFINISHED = new Set(['waiting', 'delayed', 'active']);

export function JobPage(props: { view: ViewContext; job: JobRecord; now: Date }) {
  const href = useHref();
  const { job } = props;
  return (
    <Layout title={`Job ${job.id}`} view={props.view} live={`/live?jobId=${encodeURIComponent(job.id)}`}>
      <p class="crumbs">
        <a href={href('/jobs')}>Jobs</a> › <a href={href(`/jobs?name=${encodeURIComponent(job.name)}`)}>{job.name}</a>
      </p>
      <JobDetail view={props.view} job={job} now={props.now} />
    </Layout>
  );
}

/**
 * Everything that changes while a job runs. Refreshed on this job's events
 * and, while it is unfinished, every 2 s (a worker in another process sends
 * no events to this one).
 */
export function JobDetail(props: { view: ViewContext; job: JobRecord; now: Date }) {
  const href = useHref();
  const { job, view } = props;
  const id = encodeURIComponent(job.id);
  const unfinished = UNFINISHED.has(job.state);
  const trigger = `dk-job-${job.id} from:body throttle:300ms${unfinished ? ', every 2s' : ''}`;
  const base = `/jobs/${id}`;
  return (
    <div id="job-detail" data-state={job.state} hx-get={href(`${base}?part=detail`)} hx-trigger={trigger} hx-swap="outerHTML">
      <h1>
        Job {job.id} <span class="muted">{job.name}</span> <StateBadge state={job.state} />
        {job.reserved ? (
          <span class="badge" title="held by a worker ahead of a free slot; its handler has not started">reserved</span>
        ) : null}
        {job.cancelRequested && (job.state === 'active' || job.reserved) ? <span class="badge warn">cancel requested</span> : null}
      </h1>
      {view.canAct ? (
        <div class="actions" aria-label="actions">
          {unfinished ? (
            <ActionButton action={`${base}/cancel`} label="Cancel" id="action-cancel" danger confirm={`Cancel job ${job.id} (${job.name})?`} />
          ) : null}
          {job.state === 'delayed' ? <ActionButton action={`${base}/run`} label="Run now" id="action-run" /> : null}
          {!unfinished ? <ActionButton action={`${base}/retry`} label="Retry" id="action-retry" /> : null}
          {job.state !== 'active' ? (
            <ActionButton action={`${base}/delete`} label="Delete" id="action-delete" danger confirm={`Delete job ${job.id} (${job.name})? This cannot be undone.`} />
          ) : null}
        </div>
      ) : null}
      {job.unreadable ? (
        <section class="card error-box" data-field="unreadable">
          <h2>
            Unreadable <code class="code">UNREADABLE_JOB</code>
          </h2>
          <p>
            Stored fields docket cannot read ({job.unreadable.fields.join(', ')}); they are shown as stored or as a stand-in. A
            worker fails such a job instead of running it.
          </p>
          <p data-field="unreadable-message">{job.unreadable.message}</p>
        </section>
      ) : null}
      {job.progress ? <Progress job={job} /> : null}
      <div class="grid2">
        <section class="card">
          <h2>Job</h2>
          <dl class="fields">
            <dt>queue</dt>
            <dd>
              <a href={href(`/jobs?queue=${encodeURIComponent(job.queue)}`)}>{job.queue}</a>
            </dd>
            <dt>state</dt>
            <dd data-field="state">{job.state}</dd>
            <dt>priority</dt>
            <dd>{job.priority}</dd>
            <dt>created</dt>
            <dd>
              <Time at={job.createdAt} />
            </dd>
            <dt>run at</dt>
            <dd>
              <Time at={job.runAt} relative />
            </dd>
            <dt>timeout</dt>
            <dd>{job.timeoutMs === null ? 'none' : duration(job.timeoutMs)}</dd>
            {job.idempotencyKey !== null ? (
              <>
                <dt>idempotency key</dt>
                <dd>
                  <code>{job.idempotencyKey}</code>
                </dd>
              </>
            ) : null}
            {job.scheduleName !== null ? (
              <>
                <dt>schedule</dt>
                <dd>
                  <a href={href(`/schedules/${encodeURIComponent(job.scheduleName)}`)}>{job.scheduleName}</a> fire <Time at={job.fireTime} />
                </dd>
              </>
            ) : null}
          </dl>
        </section>
        <Attempts job={job} now={props.now} />
      </div>
      {job.error ? (
        <section class="card error-box">
          <h2>
            Error <span class="muted">(attempt {job.error.attempt})</span>
          </h2>
          <p>
            <strong>{job.error.name}</strong>
            {job.error.code ? <code class="code">{job.error.code}</code> : null}: <span data-field="error-message">{job.error.message}</span>
          </p>
          <p class="muted">
            at <Time at={job.error.at} />
          </p>
          {job.error.stack ? <pre class="stack">{job.error.stack}</pre> : null}
        </section>
      ) : null}
      <section class="card">
        <h2>Data</h2>
        <JsonBlock value={job.data} label="job data" />
      </section>
      {job.state === 'completed' || job.result !== null ? (
        <section class="card">
          <h2>Result</h2>
          <JsonBlock value={job.result ?? null} label="job result" />
        </section>
      ) : null}
    </div>
  );
}

function Progress(props: { job: JobRecord }) {
  const p = props.job.progress!;
  const pct = p.total !== null && p.total > 0 ? Math.min(100, Math.max(0, (100 * p.current) / p.total)) : null;
  return (
    <section class="card progress-box" aria-label="progress">
      <div class="progress-line">
        {/* a native <progress> needs no inline style, which the CSP forbids */}
        {pct === null ? <progress aria-label="progress (total unknown)"></progress> : <progress max={100} value={pct.toFixed(1)} aria-label="progress"></progress>}
        <span class="pct" data-field="progress">
          {pct === null ? `${p.current}` : `${pct.toFixed(0)} %`} {p.total !== null ? <span class="muted">({p.current} / {p.total})</span> : null}
        </span>
      </div>
      {p.message ? <p data-field="progress-message">{p.message}</p> : null}
      <p class="muted">
        updated <Time at={p.updatedAt} relative />
      </p>
    </section>
  );
}

/**
 * The store keeps the current (or last) attempt and the most recent failure,
 * not a row per attempt, so this shows those: how many attempts ran, when the
 * last one started and ended, on which worker, with what outcome.
 */
function Attempts(props: { job: JobRecord; now: Date }) {
  const { job, now } = props;
  const started = job.startedAt;
  const ended = job.state === 'active' ? null : job.finishedAt;
  const outcome =
    job.state === 'active' ? 'running' : job.state === 'completed' || job.state === 'failed' || job.state === 'cancelled' ? job.state : job.attempt > 0 ? 'retry pending' : 'not started';
  return (
    <section class="card">
      <h2>Attempts</h2>
      <dl class="fields">
        <dt>attempts</dt>
        <dd data-field="attempts">
          {job.attempt} of {job.maxAttempts}
        </dd>
        <dt>last attempt</dt>
        <dd>{outcome}</dd>
        <dt>started</dt>
        <dd>
          <Time at={started} />
        </dd>
        <dt>ended</dt>
        <dd>
          <Time at={ended} />
        </dd>
        <dt>run time</dt>
        <dd>{started ? duration((ended ?? now).getTime() - started.getTime()) + (ended ? '' : ' so far') : '—'}</dd>
        <dt>worker</dt>
        <dd>{job.workerId ? <code>{job.workerId}</code> : <span class="muted">—</span>}</dd>
        {job.state === 'active' || job.reserved ? (
          <>
            <dt>lease expires</dt>
            <dd>
              <Time at={job.leaseExpiresAt} relative />
            </dd>
          </>
        ) : null}
        <dt>stalls</dt>
        <dd title="times its worker vanished and the rescuer put it back">{job.stalls}</dd>
        {job.error ? (
          <>
            <dt>last failure</dt>
            <dd>
              attempt {job.error.attempt}: {job.error.name}
            </dd>
          </>
        ) : null}
      </dl>
    </section>
  );
}
