// Saved inbox views: a name and the filters (as the URL query keeps them), in localStorage
// under kesu.views, newest first. A broken or foreign entry in storage is dropped, never
// thrown at the page.
const KEY = 'kesu.views';
export const MAX_VIEWS = 30;

function store(storage) {
  if (storage) return storage;
  try {
    return globalThis.localStorage || null;
  } catch {
    return null;
  }
}

export function loadViews(storage) {
  const s = store(storage);
  if (!s) return [];
  try {
    const v = JSON.parse(s.getItem(KEY) || '[]');
    if (!Array.isArray(v)) return [];
    return v.filter((x) => x && typeof x.name === 'string' && x.name.trim() && x.query && typeof x.query === 'object' &&
      Object.values(x.query).every((q) => typeof q === 'string'));
  } catch {
    return [];
  }
}

function write(views, storage) {
  const s = store(storage);
  if (!s) return views;
  try {
    s.setItem(KEY, JSON.stringify(views));
  } catch {
    /* full or refused: the view lives for this page only */
  }
  return views;
}

/* Saves (or replaces, same name) a view; returns the new list. */
export function saveView(name, query, storage) {
  const n = String(name || '').trim().slice(0, 60);
  if (!n) throw new Error('name: required');
  const q = {};
  for (const [k, v] of Object.entries(query || {})) if (typeof v === 'string' && v !== '') q[k] = v;
  const views = [{ name: n, query: q }, ...loadViews(storage).filter((v) => v.name !== n)].slice(0, MAX_VIEWS);
  return write(views, storage);
}

export function removeView(name, storage) {
  return write(loadViews(storage).filter((v) => v.name !== name), storage);
}
