// Small helpers the administration pages share.
import { ApiError } from '../api.js';

/* An error for a message line: the field the server named first. */
export function errText(e) {
  if (e instanceof ApiError && e.field) return `${e.field}: ${e.message}`;
  return (e && e.message) || String(e);
}

/* 'a, b，c' → ['a','b','c'] (commas of both widths, newlines; blanks and repeats dropped) */
export function splitList(text) {
  return [...new Set(String(text || '').split(/[,，\n]/).map((s) => s.trim()).filter(Boolean))];
}

export const joinList = (a) => (Array.isArray(a) ? a.join(', ') : '');

/* Working seconds as the API's duration text (4h, 30m, 2d = 16 working hours is shown as 16h). */
export function durText(sec) {
  if (sec == null) return '';
  if (sec % 3600 === 0) return `${sec / 3600}h`;
  if (sec % 60 === 0) return `${sec / 60}m`;
  return `${sec}s`;
}

/* Downloads a blob under a file name. */
export function saveBlob(blob, name) {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}
