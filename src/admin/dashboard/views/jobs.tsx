import { JOB_STATES, type JobRecord } from '../../../core/job.js';
import { preview, StateBadge, Time } from './format.js';
import { Layout, type ViewContext } from './layout.js';
import { useHref } from './base-path.js';

export interface JobsFilter {
  state: string;
  queue: string;
  name: string;
  search: string;
  order: 'desc' | 'asc';
  cursor: string | null;
}

export interface JobsData {
  filter: JobsFilter;
  jobs: JobRecord[];
  nextCursor: string | null;
  queues: string[];
  /** A bad filter (shown instead of rows). */
  error: string | null;
}

export const PAGE_SIZE = 50;

/** The query string of a filter (empty fields left out), with an optional cursor. */
export function filterQuery(f: JobsFilter, extra: Record<string, string | null> = {}): string {
  const params = new URLSearchParams();
  for (const key of ['state', 'queue', 'name', 'search'] as const) if (f[key]) params.set(key, f[key]);
  if (f.order !== 'desc') params.set('order', f.order);
  for (const [k, v] of Object.entries(extra)) if (v) params.set(k, v);
  const s = params.toString();
  return s ? `?${s}` : '';
}

export function JobsPage(props: { view: ViewContext; data: JobsData }) {
  const href = useHref();
  const { filter, queues } = props.data;
  return (
    <Layout title="Jobs" view={props.view} live="/live">
      <h1>Jobs</h1>
      <form class="filters card" method="get" action={href('/jobs')} role="search">
        <label>
          state
          <select name="state">
            <option value="" selected={filter.state === ''}>
              any
            </option>
            {JOB_STATES.map((s) => (
              <option value={s} selected={filter.state === s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          queue
          <input name="queue" value={filter.queue} list="queue-names" placeholder="any" autocomplete="off" />
        </label>
        <datalist id="queue-names">
          {queues.map((q) => (
            <option value={q}></option>
          ))}
        </datalist>
        <label>
          name
          <input name="name" value={filter.name} placeholder="any" autocomplete="off" />
        </label>
        <label class="grow">
          search in data
          <input name="search" type="search" value={filter.search} placeholder="text in the job's JSON data" maxlength={1000} />
        </label>
        <label>
          order
          <select name="order">
            <option value="desc" selected={filter.order === 'desc'}>
              newest first
            </option>
            <option value="asc" selected={filter.order === 'asc'}>
              oldest first
            </option>
          </select>
        </label>
        <button type="submit">Filter</button>
        <a href={href('/jobs')} class="button secondary">
          Clear
        </a>
      </form>
      <JobRows data={props.data} />
    </Layout>
  );
}

/** The table and paging: refreshed on job events (throttled) with the same filter and cursor. */
export function JobRows(props: { data: JobsData }) {
  const href = useHref();
  const { filter, jobs, nextCursor, error } = props.data;
  const self = `/jobs${filterQuery(filter, { cursor: filter.cursor, part: 'rows' })}`;
  return (
    <section class="card" id="job-rows" hx-get={href(self)} hx-trigger="dk-change from:body throttle:2s" hx-swap="outerHTML">
      {error ? (
        <p class="banner error" role="alert">
          {error}
        </p>
      ) : jobs.length === 0 ? (
        <p class="muted" id="no-jobs">
          No jobs match.
        </p>
      ) : (
        <div class="scroll">
          <table class="jobs">
            <thead>
              <tr>
                <th scope="col">id</th>
                <th scope="col">name</th>
                <th scope="col">queue</th>
                <th scope="col">state</th>
                <th scope="col" class="num">
                  attempt
                </th>
                <th scope="col">created</th>
                <th scope="col" class="wide">
                  data
                </th>
              </tr>
            </thead>
            <tbody>
              {jobs.map((j) => (
                <tr data-job-id={j.id} data-state={j.state}>
                  <td>
                    <a href={href(`/jobs/${encodeURIComponent(j.id)}`)}>{j.id}</a>
                  </td>
                  <td>{j.name}</td>
                  <td>{j.queue}</td>
                  <td>
                    <StateBadge state={j.state} />
                    {j.cancelRequested && j.state === 'active' ? <span class="badge warn">cancelling</span> : null}
                  </td>
                  <td class="num">
                    {j.attempt}/{j.maxAttempts}
                  </td>
                  <td>
                    <Time at={j.createdAt} relative />
                  </td>
                  <td class="wide">
                    <code>{preview(j.data)}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <nav class="pager" aria-label="pages">
        {filter.cursor ? <a href={href(`/jobs${filterQuery(filter)}`)}>« first page</a> : <span></span>}
        {nextCursor ? (
          <a href={href(`/jobs${filterQuery(filter, { cursor: nextCursor })}`)} rel="next" id="next-page">
            next page »
          </a>
        ) : null}
      </nav>
    </section>
  );
}
