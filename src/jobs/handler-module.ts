// Loading a handler from a module: the one rule used in-process, in a worker thread and in a child
// process. Kept apart from job-definition.ts so a thread or process loads no more than it needs.
import type { JobContext } from '../worker/job-context.js';

/** A resolved HandlerModule: an absolute file URL, the export's name, JSON options. */
export interface HandlerModuleRef {
  readonly url: string;
  readonly exportName: string;
  readonly options: unknown;
}

type AnyHandler = (data: never, ctx: JobContext) => unknown;

/** Imports the module and returns its exported handler function, or throws naming what it has. */
export async function importHandler(ref: HandlerModuleRef): Promise<AnyHandler> {
  const mod = (await import(ref.url)) as Record<string, unknown>;
  const fn = mod[ref.exportName];
  if (typeof fn !== 'function') {
    throw new TypeError(`${ref.url} has no exported function "${ref.exportName}" (exports: ${Object.keys(mod).join(', ') || 'none'})`);
  }
  return fn as AnyHandler;
}
