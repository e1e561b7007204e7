/**
 * Network helpers the admin API and the dashboard share: the API refuses to
 * listen beyond loopback without a key, and the dashboard tells a loopback
 * visitor (no key needed) from a remote one.
 */

/** Whether `host` is a literal loopback address (or `localhost`). Host names are not resolved. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  return /^127(\.\d{1,3}){3}$/.test(v4);
}
