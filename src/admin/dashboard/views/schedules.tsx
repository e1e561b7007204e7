import type { ScheduleDetails, ScheduleInfo } from '../../../scheduler/schedule-info.js';
import type { ScheduleFire } from '../../../store/schedule-store.js';
import { ActionButton } from './actions.js';
import { duration, inZone, JsonBlock, Time } from './format.js';
import { Layout, type ViewContext } from './layout.js';
import { useHref } from './base-path.js';

/** A fire enqueued at least this long after its time is highlighted as late. */
export const LATE_FIRE_MS = 1_000;

type Outcome = { label: 'fired' | 'misfired' | 'skipped'; detail: string; late: boolean };

/** fired / misfired / skipped, as the issue names them, with the store's finer kind as detail. */
export function fireOutcome(f: ScheduleFire): Outcome {
  const count = f.count > 1 ? ` × ${f.count}${f.countExact ? '' : '+'}` : '';
  switch (f.kind) {
    case 'fired':
      return { label: 'fired', detail: f.catchUp ? 'caught up after the grace' : 'on schedule', late: f.catchUp || (f.lateMs ?? 0) >= LATE_FIRE_MS };
    case 'manual':
      return { label: 'fired', detail: 'triggered by hand', late: false };
    case 'misfire':
      return { label: 'misfired', detail: `missed${count}`, late: true };
    case 'coalesced':
      return { label: 'misfired', detail: `coalesced into a later fire${count}`, late: true };
    case 'paused':
      return { label: 'skipped', detail: `paused${count}`, late: false };
    case 'max-running':
      return { label: 'skipped', detail: `maxRunning jobs still running${count}`, late: false };
  }
}

function zone(s: ScheduleInfo): string {
  return s.trigger.kind === 'cron' ? s.trigger.timezone : 'UTC';
}

/** A coming fire: in the viewer's zone (dashboard.js), and in the schedule's own zone when that is not UTC. */
function NextFire(props: { s: ScheduleInfo; at: Date }) {
  const tz = zone(props.s);
  return (
    <li>
      <Time at={props.at} relative />
      {tz !== 'UTC' ? <span class="muted zoned"> · {inZone(props.at, tz)}</span> : null}
    </li>
  );
}

function Status(props: { s: ScheduleInfo }) {
  const { s } = props;
  if (s.removedAt) return <span class="badge removed">removed</span>;
  if (s.paused) return <span class="badge paused">paused</span>;
  if (s.nextFireAt === null) return <span class="badge done">done</span>;
  return <span class="badge running">active</span>;
}

function FireCell(props: { fire: ScheduleFire | null }) {
  const f = props.fire;
  if (!f) return <span class="muted">never</span>;
  const o = fireOutcome(f);
  return (
    <span class={`fire fire-${o.label}${o.late ? ' late' : ''}`} data-outcome={o.label}>
      <span class="badge">{o.label}</span> <Time at={f.fireAt} relative />
      {f.lateMs !== null && f.lateMs > 0 ? <span class={o.late ? 'lateness' : 'muted'}> {duration(f.lateMs)} late</span> : null}
    </span>
  );
}

function ScheduleActions(props: { s: ScheduleInfo }) {
  const { s } = props;
  const base = `/schedules/${encodeURIComponent(s.name)}`;
  if (s.removedAt) return <span class="muted">—</span>;
  return (
    <div class="actions compact">
      <ActionButton action={`${base}/trigger`} label="Trigger now" id={`trigger-${s.name}`} />
      {s.paused ? <ActionButton action={`${base}/resume`} label="Resume" id={`resume-${s.name}`} /> : <ActionButton action={`${base}/pause`} label="Pause" id={`pause-${s.name}`} />}
    </div>
  );
}

export function SchedulesPage(props: { view: ViewContext; schedules: ScheduleInfo[] | null }) {
  return (
    <Layout title="Schedules" view={props.view} live="/live">
      <h1>Schedules</h1>
      {props.schedules === null ? (
        <p class="card muted">This docket has no scheduler API, so there is nothing to show.</p>
      ) : (
        <ScheduleRows view={props.view} schedules={props.schedules} />
      )}
    </Layout>
  );
}

export function ScheduleRows(props: { view: ViewContext; schedules: ScheduleInfo[] }) {
  const href = useHref();
  const { schedules, view } = props;
  return (
    <section class="card" id="schedule-rows" hx-get={href('/schedules?part=rows')} hx-trigger="dk-change from:body throttle:2s, every 10s" hx-swap="outerHTML">
      {schedules.length === 0 ? (
        <p class="muted">No schedules are stored. Declare one with docket.schedule(name, trigger, options) or in the config.</p>
      ) : (
        <div class="scroll">
          <table class="schedules">
            <thead>
              <tr>
                <th scope="col">schedule</th>
                <th scope="col">trigger</th>
                <th scope="col">time zone</th>
                <th scope="col">job</th>
                <th scope="col">status</th>
                <th scope="col">next fires</th>
                <th scope="col">last fire</th>
                <th scope="col">last missed</th>
                {view.canAct ? <th scope="col">actions</th> : null}
              </tr>
            </thead>
            <tbody>
              {schedules.map((s) => (
                <tr data-schedule={s.name} data-paused={s.paused ? '1' : '0'}>
                  <th scope="row">
                    <a href={href(`/schedules/${encodeURIComponent(s.name)}`)}>{s.name}</a>
                  </th>
                  <td>
                    <code>{s.description}</code>
                  </td>
                  <td>{zone(s)}</td>
                  <td>
                    {s.job.name} <span class="muted">on {s.job.queue}</span>
                  </td>
                  <td>
                    <Status s={s} />
                  </td>
                  <td>
                    <ol class="fires">
                      {s.nextFires.slice(0, 3).map((d) => (
                        <NextFire s={s} at={d} />
                      ))}
                    </ol>
                  </td>
                  <td>
                    <FireCell fire={s.lastFire} />
                  </td>
                  <td>
                    <FireCell fire={s.lastMissed} />
                  </td>
                  {view.canAct ? (
                    <td>
                      <ScheduleActions s={s} />
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

export function SchedulePage(props: { view: ViewContext; schedule: ScheduleDetails }) {
  const href = useHref();
  return (
    <Layout title={`Schedule ${props.schedule.name}`} view={props.view} live="/live">
      <p class="crumbs">
        <a href={href('/schedules')}>Schedules</a>
      </p>
      <ScheduleDetail view={props.view} schedule={props.schedule} />
    </Layout>
  );
}

export function ScheduleDetail(props: { view: ViewContext; schedule: ScheduleDetails }) {
  const href = useHref();
  const s = props.schedule;
  const p = s.policy;
  return (
    <div id="schedule-detail" hx-get={href(`/schedules/${encodeURIComponent(s.name)}?part=detail`)} hx-trigger="dk-change from:body throttle:2s, every 10s" hx-swap="outerHTML">
      <h1>
        Schedule {s.name} <Status s={s} />
      </h1>
      {props.view.canAct ? (
        <div class="detail-actions">
          <ScheduleActions s={s} />
        </div>
      ) : null}
      <div class="grid2">
        <section class="card">
          <h2>Trigger</h2>
          <dl class="fields">
            <dt>trigger</dt>
            <dd>
              <code>{s.description}</code>
            </dd>
            <dt>time zone</dt>
            <dd>{zone(s)}</dd>
            <dt>job</dt>
            <dd>
              <a href={href(`/jobs?name=${encodeURIComponent(s.job.name)}`)}>{s.job.name}</a> on {s.job.queue}, priority {s.job.priority}, {s.job.maxAttempts} attempts
            </dd>
            <dt>misfire grace</dt>
            <dd>{duration(p.misfireGraceMs)}</dd>
            <dt>catch up</dt>
            <dd>
              {p.catchUp}
              {p.catchUp === 'all' ? ` (at most ${p.catchUpMax})` : ''}
            </dd>
            <dt>max running</dt>
            <dd>{p.maxRunning ?? 'no limit'}</dd>
            <dt>jitter</dt>
            <dd>{p.jitterMs ? duration(p.jitterMs) : 'none'}</dd>
            <dt>declared here</dt>
            <dd>{s.declaredHere ? 'yes' : 'no (declared by another process)'}</dd>
            {s.removedAt ? (
              <>
                <dt>removed</dt>
                <dd>
                  <Time at={s.removedAt} /> (no process declares it; it does not fire)
                </dd>
              </>
            ) : null}
          </dl>
        </section>
        <section class="card">
          <h2>Next fires</h2>
          {s.nextFires.length === 0 ? (
            <p class="muted">none</p>
          ) : (
            <ol class="fires">
              {s.nextFires.map((d) => (
                <NextFire s={s} at={d} />
              ))}
            </ol>
          )}
        </section>
      </div>
      <section class="card">
        <h2>Recent fires</h2>
        {s.recentFires.length === 0 ? (
          <p class="muted">It has not fired yet.</p>
        ) : (
          <div class="scroll">
            <table class="fires-table">
              <thead>
                <tr>
                  <th scope="col">fire time</th>
                  <th scope="col">outcome</th>
                  <th scope="col">detail</th>
                  <th scope="col" class="num">
                    late by
                  </th>
                  <th scope="col">job</th>
                  <th scope="col">recorded</th>
                </tr>
              </thead>
              <tbody>
                {s.recentFires.map((f) => {
                  const o = fireOutcome(f);
                  return (
                    <tr class={`fire-${o.label}${o.late ? ' late' : ''}`} data-outcome={o.label}>
                      <td>
                        <Time at={f.fireAt} />
                        {f.count > 1 ? (
                          <>
                            {' '}
                            – <Time at={f.lastFireAt} />
                          </>
                        ) : null}
                      </td>
                      <td>
                        <span class="badge">{o.label}</span>
                      </td>
                      <td>{o.detail}</td>
                      <td class="num">{f.lateMs === null ? '—' : duration(f.lateMs)}</td>
                      <td>{f.jobId ? <a href={href(`/jobs/${encodeURIComponent(f.jobId)}`)}>{f.jobId}</a> : <span class="muted">—</span>}</td>
                      <td>
                        <Time at={f.recordedAt} relative />
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <section class="card">
        <h2>Job data</h2>
        <JsonBlock value={s.data} label="schedule job data" />
      </section>
    </div>
  );
}
