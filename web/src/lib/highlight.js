// Highlighting search matches in complaint text without ever rendering the text as HTML:
// the text is split into plain segments and matched segments, and the template renders
// each as a text node (<mark> for matches). escapeHtml is for the one place that builds
// markup as a string (ECharts tooltips).

const ESC = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(s) {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ESC[c]);
}

/* The search terms of a full-text query as the server reads it: space-separated, ANDed. */
export function queryTerms(q) {
  return String(q ?? '')
    .split(/\s+/)
    .map((t) => t.trim())
    .filter((t) => t.length > 0);
}

/* Splits text into [{text, match}] segments; matching is case-insensitive for Latin letters,
 * longest term first where terms overlap. Never returns markup. */
export function highlightSegments(text, terms) {
  const s = String(text ?? '');
  const ts = [...new Set(terms.filter(Boolean))].sort((a, b) => b.length - a.length);
  if (!s || ts.length === 0) return s ? [{ text: s, match: false }] : [];
  const lower = s.toLowerCase();
  const lts = ts.map((t) => t.toLowerCase());
  const out = [];
  let plain = 0;
  let i = 0;
  while (i < s.length) {
    let hit = 0;
    for (const t of lts) {
      if (lower.startsWith(t, i)) {
        hit = t.length;
        break;
      }
    }
    if (hit) {
      if (i > plain) out.push({ text: s.slice(plain, i), match: false });
      out.push({ text: s.slice(i, i + hit), match: true });
      i += hit;
      plain = i;
    } else {
      i++;
    }
  }
  if (plain < s.length) out.push({ text: s.slice(plain), match: false });
  return out;
}

/* The same as an HTML string, escaped first and then marked: for places that need markup
 * (tooltips). Every piece of the text goes through escapeHtml. */
export function highlightHtml(text, terms) {
  return highlightSegments(text, terms)
    .map((seg) => (seg.match ? `<mark>${escapeHtml(seg.text)}</mark>` : escapeHtml(seg.text)))
    .join('');
}

/* A short piece of a long text around its first match (or its start), with "…" where cut. */
export function snippet(text, terms, max = 120) {
  const s = String(text ?? '');
  if (s.length <= max) return s;
  const lower = s.toLowerCase();
  let at = -1;
  for (const t of terms) {
    const i = t ? lower.indexOf(t.toLowerCase()) : -1;
    if (i >= 0 && (at < 0 || i < at)) at = i;
  }
  let start = at < 0 ? 0 : Math.max(0, at - Math.floor(max / 3));
  if (start + max > s.length) start = Math.max(0, s.length - max);
  return (start > 0 ? '…' : '') + s.slice(start, start + max) + (start + max < s.length ? '…' : '');
}
