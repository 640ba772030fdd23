// CSV for Excel (the export of the filtered list): UTF-8 with a BOM so Excel in China opens
// it right, CRLF rows, quotes where needed, and cells that Excel would run as formulas
// (= + - @, tab, CR at the start) made plain text with a leading apostrophe, as kesu export does.

export function csvCell(v) {
  if (v === null || v === undefined) return '';
  let s = Array.isArray(v) || typeof v === 'object' ? JSON.stringify(v) : String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = "'" + s;
  if (/[",\r\n]/.test(s)) s = '"' + s.replace(/"/g, '""') + '"';
  return s;
}

/* columns: [{key, title}] (or key strings); rows: objects. */
export function toCsv(columns, rows) {
  const cols = columns.map((c) => (typeof c === 'string' ? { key: c, title: c } : c));
  const lines = [cols.map((c) => csvCell(c.title)).join(',')];
  for (const r of rows) lines.push(cols.map((c) => csvCell(r[c.key])).join(','));
  return '\ufeff' + lines.join('\r\n') + '\r\n';
}

export const EXPORT_COLUMNS = ['id', 'received_at', 'channel', 'status', 'title', 'text', 'category_l1',
  'category_l2', 'severity', 'sentiment', 'priority', 'product', 'store', 'region', 'customer_name',
  'phone', 'assignee', 'team'];
