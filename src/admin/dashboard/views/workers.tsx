import type { WorkerInfo } from '../../../store/store.js';
import { duration, Time } from './format.js';
import { Layout, type ViewContext } from './layout.js';
import { useHref } from './base-path.js';

export function WorkersPage(props: { view: ViewContext; workers: WorkerInfo[]; now: Date; aliveWithinMs: number }) {
  return (
    <Layout title="Workers" view={props.view} live="/live">
      <h1>Workers</h1>
      <WorkerRows workers={props.workers} now={props.now} aliveWithinMs={props.aliveWithinMs} />
    </Layout>
  );
}

export function WorkerRows(props: { workers: WorkerInfo[]; now: Date; aliveWithinMs: number }) {
  const href = useHref();
  const { workers, now } = props;
  return (
    <section class="card" id="worker-rows" hx-get={href('/workers?part=rows')} hx-trigger="every 5s" hx-swap="outerHTML">
      <p class="muted">Workers of every process that sent a heartbeat in the last {duration(props.aliveWithinMs)} (store clock).</p>
      {workers.length === 0 ? (
        <p class="muted">No live worker.</p>
      ) : (
        <div class="scroll">
          <table class="workers">
            <thead>
              <tr>
                <th scope="col">host</th>
                <th scope="col" class="num">
                  pid
                </th>
                <th scope="col">queues</th>
                <th scope="col" class="num">
                  concurrency
                </th>
                <th scope="col" class="num">
                  active jobs
                </th>
                <th scope="col">up</th>
                <th scope="col">last heartbeat</th>
                <th scope="col">id</th>
              </tr>
            </thead>
            <tbody>
              {workers.map((w) => (
                <tr data-worker={w.id}>
                  <td>{w.host}</td>
                  <td class="num">{w.pid}</td>
                  <td>{w.queues.length ? w.queues.join(', ') : <span class="muted">none</span>}</td>
                  <td class="num">{w.concurrency}</td>
                  <td class="num">
                    <a href={href(`/jobs?state=active`)}>{w.activeJobs}</a>
                  </td>
                  <td>{duration(now.getTime() - w.startedAt.getTime())}</td>
                  <td>
                    <Time at={w.lastHeartbeatAt} relative />
                  </td>
                  <td>
                    <code class="small">{w.id}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
