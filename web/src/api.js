// Calls to kesu's API. The session cookie (HttpOnly) rides along by itself; state-changing
// calls carry the CSRF token the login answered with. An API key (for servers without user
// accounts, and for integrations) is kept for the tab only and sent as a Bearer token.
import { reactive } from 'vue';

export const session = reactive({ csrf: '', key: '' });

try {
  session.key = sessionStorage.getItem('kesu.key') || '';
  session.csrf = sessionStorage.getItem('kesu.csrf') || '';
} catch {
  /* no storage */
}

export function remember() {
  try {
    if (session.key) sessionStorage.setItem('kesu.key', session.key);
    else sessionStorage.removeItem('kesu.key');
    if (session.csrf) sessionStorage.setItem('kesu.csrf', session.csrf);
    else sessionStorage.removeItem('kesu.csrf');
  } catch {
    /* no storage */
  }
}

export class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message || `HTTP ${status}`);
    this.status = status;
    this.code = e.code || '';
    this.field = e.field || '';
    this.body = body;
  }
}

let onUnauthorized = null;
export function setUnauthorizedHandler(fn) {
  onUnauthorized = fn;
}

export async function api(method, path, body, { quiet401 = false } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (session.key) headers.Authorization = 'Bearer ' + session.key;
  if (method !== 'GET' && session.csrf) headers['X-CSRF-Token'] = session.csrf;
  const r = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = null;
  const type = r.headers.get('Content-Type') || '';
  if (type.includes('json')) data = await r.json().catch(() => null);
  else await r.text();
  if (!r.ok) {
    const err = new ApiError(r.status, data);
    if (r.status === 401 && !quiet401 && onUnauthorized) onUnauthorized(err);
    throw err;
  }
  return data;
}

export const get = (path, opts) => api('GET', path, undefined, opts);
export const post = (path, body, opts) => api('POST', path, body, opts);
export const patch = (path, body, opts) => api('PATCH', path, body, opts);

/* GET that answers null instead of failing when the endpoint does not exist on this server
 * (404 with code not_found for the path itself, or 405). */
export async function getOptional(path) {
  try {
    return await get(path);
  } catch (e) {
    // the path itself is unknown: 404 not_found without a field, or 405
    if (e instanceof ApiError &&
        ((e.status === 404 && (!e.code || (e.code === 'not_found' && !e.field))) || e.status === 405))
      return null;
    throw e;
  }
}
