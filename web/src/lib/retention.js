// The retention settings of GET/PUT /api/v1/retention as a form: each class an amount and a
// unit ('' amount = kept for ever; for `every`: no schedule).
//
//   formFromSettings(settings) → { class: { n, unit } }   (junk read as blank)
//   settingsFromForm(form)     → the PUT body's settings, or throws naming the class

export const CLASSES = ['closed_complaints', 'pii', 'audit', 'archive_after', 'every'];
export const UNITS = ['d', 'w', 'm', 'y'];
export const EVERY_UNITS = ['h', 'd', 'w'];

export const unitsOf = (cls) => (cls === 'every' ? EVERY_UNITS : UNITS);
const DUR = /^(\d{1,6})([hdwmy])$/;

export function formFromSettings(settings = {}) {
  const form = {};
  for (const c of CLASSES) {
    const m = typeof settings[c] === 'string' ? DUR.exec(settings[c]) : null;
    const units = unitsOf(c);
    form[c] = m && units.includes(m[2]) ? { n: m[1], unit: m[2] } : { n: '', unit: c === 'every' ? 'h' : 'y' };
  }
  return form;
}

export class RetentionError extends Error {
  constructor(field, message) {
    super(message);
    this.field = field;
  }
}

export function settingsFromForm(form) {
  const out = {};
  for (const c of CLASSES) {
    const { n, unit } = form[c] || {};
    const text = String(n ?? '').trim();
    if (!text) {
      out[c] = null;
      continue;
    }
    if (!/^\d{1,6}$/.test(text) || Number(text) < 1 || Number(text) > 100000)
      throw new RetentionError(c, 'a whole number from 1 to 100000');
    if (!unitsOf(c).includes(unit)) throw new RetentionError(c, `unit is one of ${unitsOf(c).join(', ')}`);
    out[c] = `${Number(text)}${unit}`;
  }
  return out;
}
