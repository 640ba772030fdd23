// Who is logged in. A session comes from POST /api/v1/auth/login (cookie + CSRF token) and
// is found again after a reload with GET /api/v1/auth/me. An API key stands for a caller
// with every permission the key has (on a server without accounts: all of them).
import { reactive } from 'vue';
import { get, post, session, remember, ApiError } from './api.js';

export const auth = reactive({ user: null, mode: '', checked: false, accounts: true });

function setSession(body) {
  session.key = '';
  session.csrf = body.csrf_token || session.csrf;
  remember();
  auth.user = body.user;
  auth.mode = 'session';
}

export async function login(username, password) {
  try {
    setSession(await post('/api/v1/auth/login', { username, password }, { quiet401: true }));
  } catch (e) {
    if (e instanceof ApiError && e.status === 404 && !e.field) auth.accounts = false;
    throw e;
  }
}

export async function loginWithKey(key) {
  session.key = key.trim();
  try {
    await get('/api/v1/feedback?limit=1', { quiet401: true });
  } catch (e) {
    session.key = '';
    remember();
    throw e;
  }
  session.csrf = '';
  remember();
  auth.user = { username: 'apikey', display_name: 'API key', role: 'admin', teams: [], permissions: ['*'] };
  auth.mode = 'key';
}

/* Finds an existing session or key after a page load; resolves either way. */
export async function restore() {
  if (auth.checked) return;
  auth.checked = true;
  if (session.key) {
    try {
      await loginWithKey(session.key);
    } catch {
      /* the key is gone */
    }
    return;
  }
  try {
    setSession(await get('/api/v1/auth/me', { quiet401: true }));
  } catch (e) {
    if (e instanceof ApiError && e.status === 404 && !e.field) auth.accounts = false;
  }
}

export async function logout() {
  if (auth.mode === 'session') {
    try {
      await post('/api/v1/auth/logout', {}, { quiet401: true });
    } catch {
      /* the session is gone anyway */
    }
  }
  session.key = '';
  session.csrf = '';
  remember();
  auth.user = null;
  auth.mode = '';
}

export function can(perm) {
  const p = (auth.user && auth.user.permissions) || [];
  return p.includes('*') || p.includes(perm);
}
