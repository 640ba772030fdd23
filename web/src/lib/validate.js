// The checks POST /api/v1/feedback makes (src/core/intake/record.c), made before sending so
// the agent sees them at the field; the server's answer stays the authority (its error names
// the field, and the form shows it there too). Returns {field: message key} ({} when fine).
import { CHANNELS } from './labels.js';

export const TEXT_MAX = 65536; // bytes, RECORD_TEXT_MAX
export const SHORT_MAX = 256; // bytes, RECORD_SHORT_MAX
const LIMITS = { title: 1024, customer_name: SHORT_MAX, email: SHORT_MAX, product: SHORT_MAX,
  order_no: SHORT_MAX, store: SHORT_MAX, region: SHORT_MAX, phone: 32 };

export function utf8Length(s) {
  return new TextEncoder().encode(String(s)).length;
}

export function validateRecord(r, now = Date.now()) {
  const err = {};
  if (!r.channel) err.channel = 'required';
  else if (!CHANNELS.includes(r.channel)) err.channel = 'invalid';
  if (!r.text || !String(r.text).trim()) err.text = 'required';
  else if (utf8Length(r.text) > TEXT_MAX) err.text = 'tooLong';
  for (const [k, max] of Object.entries(LIMITS))
    if (r[k] && utf8Length(r[k]) > max) err[k] = 'tooLong';
  if (r.phone && !err.phone && !/^[0-9+\-() ]*$/.test(r.phone)) err.phone = 'phone';
  if (r.email && !err.email && !r.email.includes('@')) err.email = 'email';
  if (r.rating !== undefined && r.rating !== null && r.rating !== '') {
    const v = Number(r.rating);
    if (Number.isNaN(v) || v < 0 || v > 5) err.rating = 'rating';
  }
  if (r.received_at) {
    const t = Date.parse(r.received_at);
    if (Number.isNaN(t)) err.received_at = 'time';
    else if (t > now + 24 * 3600e3) err.received_at = 'future';
  }
  return err;
}

/* The request body: empty fields left out, rating as a number. */
export function recordBody(r) {
  const body = {};
  for (const [k, v] of Object.entries(r)) {
    if (v === undefined || v === null || v === '') continue;
    if (k === 'rating' && !Number(v)) continue; // 0 stars: not rated
    body[k] = k === 'rating' ? Number(v) : typeof v === 'string' ? v.trim() : v;
  }
  return body;
}
