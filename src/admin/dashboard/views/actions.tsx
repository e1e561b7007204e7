import { useHref } from './base-path.js';

/**
 * An action is a POST form (works without JavaScript; the server checks the
 * origin and the admin scope). With `confirm`, dashboard.js asks first; the
 * hidden `confirmed` field tells the server the question was asked, so a
 * browser without JavaScript gets a server-rendered confirmation page instead.
 */
export function ActionButton(props: { action: string; label: string; confirm?: string; danger?: boolean; id?: string }) {
  const href = useHref();
  return (
    <form method="post" action={href(props.action)} class="action" data-confirm={props.confirm}>
      {props.confirm ? <input type="hidden" name="confirmed" value="" /> : null}
      <button type="submit" class={props.danger ? 'danger' : undefined} id={props.id}>
        {props.label}
      </button>
    </form>
  );
}
