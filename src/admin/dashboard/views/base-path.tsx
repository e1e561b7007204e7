import { createContext, useContext, type Child } from 'hono/jsx';
import { underBase } from '../../kit/base-path.js';

/**
 * The admin app's basePath, provided once per response by `html()` (pages.tsx):
 * views write the dashboard's own paths (`/jobs/42`) and `useHref` puts them
 * under the prefix the app is mounted at, so no view needs to be told.
 */
export const BasePath = createContext('');

/** A function from a dashboard path to the URL the browser requests. */
export function useHref(): (path: string) => string {
  const base = useContext(BasePath);
  return (path) => underBase(base, path);
}

export function Link(props: { to: string; children?: Child; class?: string; id?: string; rel?: string }) {
  const href = useHref();
  return (
    <a href={href(props.to)} class={props.class} id={props.id} rel={props.rel}>
      {props.children}
    </a>
  );
}
