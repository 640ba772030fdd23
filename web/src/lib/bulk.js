// Bulk actions of the inbox: one existing API call per selected case, one after another (the
// writer serialises them anyway), every outcome kept so the page can say which ones failed.
//
//   const r = await runBulk(ids, (id) => patch(`/api/v1/feedback/${id}`, {assignee}))
//   r → {ok: [ids], failed: [{id, message}]}
export async function runBulk(ids, call, onProgress) {
  const ok = [];
  const failed = [];
  for (const id of ids) {
    try {
      await call(id);
      ok.push(id);
    } catch (e) {
      failed.push({ id, message: (e && e.message) || String(e) });
    }
    if (onProgress) onProgress(ok.length + failed.length, ids.length);
  }
  return { ok, failed };
}

/* The body of a bulk action, checked before anything is sent; throws naming the field. */
export function bulkBody(kind, form) {
  const s = (v) => String(v ?? '').trim();
  switch (kind) {
    case 'assign':
      if (!s(form.assignee)) throw new Error('assignee: required');
      return { assignee: s(form.assignee), ...(s(form.note) ? { note: s(form.note) } : {}) };
    case 'transfer':
      if (!s(form.team)) throw new Error('team: required');
      if (!s(form.reason)) throw new Error('reason: required');
      return { team: s(form.team), reason: s(form.reason), ...(s(form.assignee) ? { assignee: s(form.assignee) } : {}) };
    case 'category': {
      const path = (form.category || []).map(s).filter(Boolean);
      if (!path.length) throw new Error('category: required');
      return { category_l1: path[0], category_l2: path[1] || null, category_l3: path[2] || null };
    }
    case 'merge':
      if (!(Number(form.into) > 0)) throw new Error('into: a case number');
      return { into: Number(form.into) };
    default:
      throw new Error(`${kind}: unknown action`);
  }
}
