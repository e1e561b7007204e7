import type { IncomingMessage, ServerResponse } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { makeProblem, problemResponse } from '../kit/problem.js';
import type { AdminApp } from './app.js';

/**
 * The admin app as a Node.js request listener, for a plain `node:http`
 * server, Express or Connect:
 *
 *     http.createServer((req, res) => req.url?.startsWith('/admin') ? admin(req, res) : mine(req, res))
 *     expressApp.use('/admin', admin)
 *
 * Paths: Express and Connect strip the mount path from `req.url` themselves
 * (they keep the full one in `req.originalUrl`), so the listener passes their
 * `req.url` on as it is. Anywhere else `req.url` is the full path and must
 * start with the app's `basePath`, which the listener removes; a request
 * outside it answers 404 problem+json.
 *
 * Bodies: a body parser in front (`express.json()`, `express.urlencoded()`,
 * `express.text()`, `express.raw()`) has already read the request stream, so
 * the listener rebuilds the body from what the parser left in `req.body`
 * (or a `req.rawBody` Buffer, used as it is) with a matching Content-Length.
 * The app then validates it as it validates any body. What the parser itself
 * refuses (malformed JSON, a body over its `limit`, 100 KB by default for
 * `express.json()`) is answered by that parser before the app sees it: mount
 * the admin app before your body parsers to get docket's own answers.
 */
export type AdminListener = (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void) => void;

/** What a request carries from the listener to the fetch callback (a refusal to answer instead of the app). */
const REFUSAL = Symbol('docket.admin.refusal');
type Marked = IncomingMessage & { [REFUSAL]?: Response; rawBody?: unknown; body?: unknown; originalUrl?: unknown };

export function createAdminListener(app: AdminApp): AdminListener {
  const base = app.basePath;
  const listener = getRequestListener((request, env) => (env.incoming as Marked)[REFUSAL] ?? app.fetch(request, env));
  return (req, res) => {
    const incoming = req as Marked;
    // Express and Connect set originalUrl and have already cut their mount path off req.url
    if (typeof incoming.originalUrl !== 'string') {
      const inside = stripBasePath(incoming.url ?? '/', base);
      if (inside === null) incoming[REFUSAL] = problemResponse(makeProblem('ROUTE_NOT_FOUND', `no route ${incoming.method ?? 'GET'} ${pathOnly(incoming.url)}: the admin app is under ${base}`));
      else incoming.url = inside;
    }
    if (!incoming[REFUSAL]) replayParsedBody(incoming);
    void listener(incoming, res);
  };
}

/** `url` without the `base` prefix (`/admin/jobs?x` → `/jobs?x`, `/admin` → `/`), or null when it lies outside. */
export function stripBasePath(url: string, base: string): string | null {
  if (base === '') return url;
  if (!url.startsWith(base)) return null;
  const rest = url.slice(base.length);
  if (rest === '') return '/';
  if (rest.startsWith('?')) return `/${rest}`;
  return rest.startsWith('/') ? rest : null;
}

function pathOnly(url: string | undefined): string {
  return (url ?? '/').split('?', 1)[0]!;
}

/**
 * When a body parser has read the stream, hand @hono/node-server the body
 * again as `rawBody` (which it reads instead of the stream) and make the
 * headers describe it: the parser's output is re-encoded, so its length may
 * differ from what the client sent.
 */
function replayParsedBody(req: Marked): void {
  if (req.method === 'GET' || req.method === 'HEAD') return;
  if (req.rawBody instanceof Buffer) return;
  const consumed = req.readableEnded || (req.complete && !req.readable);
  if (!consumed || req.body === undefined) return;
  const body = encodeParsedBody(req.body, req.headers['content-type'] ?? '');
  if (body === null) {
    req[REFUSAL] = problemResponse(
      makeProblem('INVALID_REQUEST', 'the request body was already read by a body parser in front of the admin app, in a form it cannot pass on; mount the admin app before the body parsers'),
    );
    return;
  }
  req.rawBody = body;
  const raw: string[] = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!.toLowerCase();
    if (name !== 'content-length' && name !== 'transfer-encoding') raw.push(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
  }
  raw.push('Content-Length', String(body.length));
  req.rawHeaders = raw;
  delete req.headers['transfer-encoding'];
  req.headers['content-length'] = String(body.length);
}

/** The bytes of what a parser made of a body: JSON back to JSON, a form back to a form, text and raw as they are. */
function encodeParsedBody(parsed: unknown, contentType: string): Buffer | null {
  if (Buffer.isBuffer(parsed)) return parsed;
  if (typeof parsed === 'string') return Buffer.from(parsed, 'utf8');
  const type = contentType.split(';', 1)[0]!.trim().toLowerCase();
  if (type === 'application/json' || type.endsWith('+json')) return Buffer.from(JSON.stringify(parsed), 'utf8');
  if (type === 'application/x-www-form-urlencoded' && typeof parsed === 'object' && parsed !== null) {
    const form = new URLSearchParams();
    for (const [key, value] of Object.entries(parsed)) {
      for (const v of Array.isArray(value) ? value : [value]) {
        if (typeof v !== 'string') return null;
        form.append(key, v);
      }
    }
    return Buffer.from(form.toString(), 'utf8');
  }
  return null;
}
