/**
 * TypeScript handler modules in development. A worker thread does not get the
 * parent's `--import` loader on Node 20, and a parent under vitest has none:
 * when a `.ts` module cannot be imported, tsx (a docket dependency) is
 * registered in this thread or process and the import is tried again. In
 * production, point `handler.module` at the built `.js`.
 */
let registered: Promise<boolean> | null = null;

export function loadTypeScriptSupport(): Promise<boolean> {
  registered ??= import('tsx/esm/api').then(
    (api) => {
      api.register();
      return true;
    },
    () => false,
  );
  return registered;
}
