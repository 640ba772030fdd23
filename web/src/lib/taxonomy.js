// Editing the taxonomy document (GET/PUT /api/v1/taxonomy) as a tree. A node is addressed by
// its path of names ('物流/配送延迟'); every edit returns a new document (the input is left as
// it was), so the page can keep the last saved one and show what changed.
//
//   toTree(doc)                 → el-tree data [{id: path, label, depth, rules, children}]
//   addNode(doc, parent, name)  parent '' = a new top-level category
//   renameNode / removeNode / moveNode(doc, path, -1|+1) / setRules(doc, path, rules)
//   ruleToForm(rule) ⇄ formToRule(form)   term lists as comma/newline separated text
//   checkTaxonomy(doc)          → [] or ['categories[1].children[0].name: …'] (the server checks again)
export const MAX_DEPTH = 3;

const clone = (v) => JSON.parse(JSON.stringify(v));

export function toTree(doc, prefix = '', depth = 1) {
  return ((doc && doc.categories) || (Array.isArray(doc) ? doc : [])).map((c) => {
    const id = prefix ? `${prefix}/${c.name}` : c.name;
    return {
      id,
      label: c.name,
      depth,
      rules: (c.rules || []).length,
      children: toTree(c.children || [], id, depth + 1),
    };
  });
}

/* The list holding the node at path, and its index there; null when there is none. */
function locate(list, path) {
  const names = path.split('/');
  let cur = list;
  for (let i = 0; i < names.length; i++) {
    const at = cur.findIndex((c) => c.name === names[i]);
    if (at < 0) return null;
    if (i === names.length - 1) return { list: cur, at };
    cur = cur[at].children || [];
  }
  return null;
}

export function findNode(doc, path) {
  const l = locate(doc.categories || [], path);
  return l ? l.list[l.at] : null;
}

function validName(name) {
  const n = String(name || '').trim();
  if (!n) throw new Error('name: required');
  if (n.includes('/')) throw new Error('name: no "/"');
  if (n.length > 64) throw new Error('name: at most 64 characters');
  return n;
}

export function addNode(doc, parent, name) {
  const d = clone(doc);
  d.categories = d.categories || [];
  const n = validName(name);
  let list = d.categories;
  if (parent) {
    if (parent.split('/').length >= MAX_DEPTH) throw new Error(`depth: at most ${MAX_DEPTH} levels`);
    const p = findNode(d, parent);
    if (!p) throw new Error(`${parent}: no such category`);
    p.children = p.children || [];
    list = p.children;
  }
  if (list.some((c) => c.name === n)) throw new Error(`name: ${n} exists already`);
  list.push({ name: n, rules: [] });
  return d;
}

export function renameNode(doc, path, name) {
  const d = clone(doc);
  const l = locate(d.categories || [], path);
  if (!l) throw new Error(`${path}: no such category`);
  const n = validName(name);
  if (l.list.some((c, i) => i !== l.at && c.name === n)) throw new Error(`name: ${n} exists already`);
  l.list[l.at].name = n;
  return d;
}

export function removeNode(doc, path) {
  const d = clone(doc);
  const l = locate(d.categories || [], path);
  if (!l) throw new Error(`${path}: no such category`);
  l.list.splice(l.at, 1);
  return d;
}

export function moveNode(doc, path, by) {
  const d = clone(doc);
  const l = locate(d.categories || [], path);
  if (!l) throw new Error(`${path}: no such category`);
  const to = l.at + by;
  if (to < 0 || to >= l.list.length) return d;
  const [node] = l.list.splice(l.at, 1);
  l.list.splice(to, 0, node);
  return d;
}

export function setRules(doc, path, rules) {
  const d = clone(doc);
  const node = findNode(d, path);
  if (!node) throw new Error(`${path}: no such category`);
  node.rules = rules.map(formToRule);
  return d;
}

export function splitTerms(text) {
  return [...new Set(String(text || '').split(/[,，\n]/).map((s) => s.trim()).filter(Boolean))];
}

export function ruleToForm(rule = {}) {
  return {
    id: rule.id || '',
    any: (rule.any || []).join(', '),
    all: (rule.all || []).join(', '),
    none: (rule.none || []).join(', '),
    regex: rule.regex || '',
    priority: rule.priority ?? 0,
    confidence: rule.confidence ?? null,
  };
}

/* A form back into a rule; takes a rule too (already in the document's shape). Empty members
 * are left out so the document stays as small as the shipped one. */
export function formToRule(f) {
  if (Array.isArray(f.any) || Array.isArray(f.all) || Array.isArray(f.none)) return clone(f);
  const r = {};
  if (String(f.id || '').trim()) r.id = String(f.id).trim();
  for (const k of ['any', 'all', 'none']) {
    const terms = splitTerms(f[k]);
    if (terms.length) r[k] = terms;
  }
  if (String(f.regex || '').trim()) r.regex = String(f.regex).trim();
  if (f.priority !== '' && f.priority != null && Number(f.priority) !== 0) r.priority = Number(f.priority);
  if (f.confidence !== '' && f.confidence != null) r.confidence = Number(f.confidence);
  return r;
}

/* What the page can tell before sending; the server's answer names anything else. */
export function checkTaxonomy(doc) {
  const out = [];
  const walk = (list, where, depth) => {
    const seen = new Set();
    list.forEach((c, i) => {
      const at = `${where}[${i}]`;
      if (!String(c.name || '').trim()) out.push(`${at}.name: required`);
      else if (seen.has(c.name)) out.push(`${at}.name: ${c.name} twice`);
      seen.add(c.name);
      if (depth > MAX_DEPTH) out.push(`${at}: more than ${MAX_DEPTH} levels`);
      (c.rules || []).forEach((r, j) => {
        if (!(r.any || []).length && !(r.all || []).length && !r.regex)
          out.push(`${at}.rules[${j}]: needs a term or a regex`);
        if (r.confidence != null && !(r.confidence > 0 && r.confidence <= 1))
          out.push(`${at}.rules[${j}].confidence: from 0 to 1`);
      });
      if (c.children && c.children.length) walk(c.children, `${at}.children`, depth + 1);
    });
  };
  walk((doc && doc.categories) || [], 'categories', 1);
  return out;
}

/* Category options for a cascader (values are names; the API's category filter matches any level). */
export function categoryOptions(doc) {
  const map = (list) => list.map((c) => ({
    value: c.name, label: c.name, children: c.children && c.children.length ? map(c.children) : undefined,
  }));
  return map((doc && doc.categories) || []);
}
