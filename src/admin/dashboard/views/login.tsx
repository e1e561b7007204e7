import { Layout, type ViewContext } from './layout.js';
import { useHref } from './base-path.js';

export function LoginPage(props: { view: ViewContext; next: string; error?: string | null }) {
  const href = useHref();
  return (
    <Layout title="Log in" view={props.view}>
      <section class="card login">
        <h1>Log in</h1>
        <p>Paste an API key. A read key shows everything; an admin key can also cancel, retry, run, delete and trigger.</p>
        {props.error ? (
          <p class="banner error" role="alert" id="login-error">
            {props.error}
          </p>
        ) : null}
        <form method="post" action={href('/login')}>
          <input type="hidden" name="next" value={props.next} />
          <label for="key">API key</label>
          <input id="key" name="key" type="password" autocomplete="current-password" required minlength={16} maxlength={4096} autofocus />
          <button type="submit">Log in</button>
        </form>
        <p class="muted">The key is checked once; the browser then holds only a session cookie (HttpOnly, SameSite=Strict).</p>
      </section>
    </Layout>
  );
}
