// The Tandem console's page. Plain JavaScript, no dependencies: every value
// from a server is put into the page as text (textContent, attributes set
// one by one), never as HTML.
'use strict';

const state = {
  session: null,       // {identity, administrator, expires}
  status: null,        // /api/status
  revision: 0,         // the newest revision this page has seen
  live: { source: null, server: '', connected: false, since: null, error: '' },
  listeners: new Set(), // functions called with each batch of changes
  reloginWaiters: [],
  routeId: 0,          // bumped by each navigation: a slower, older page must not draw
  pageSource: null,    // the page's own event stream (Regions), closed on navigation
};
// True while no newer navigation has started since it was called.
function stillCurrent() {
  const id = state.routeId;
  return () => id === state.routeId;
}

// ---- DOM helpers ---------------------------------------------------------
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}
const $ = (sel) => document.querySelector(sel);
function main() { return $('#main'); }
function setPage(...nodes) {
  const m = main();
  m.replaceChildren(...nodes);
}
function banner(text, kind) {
  const b = $('#banner');
  if (!text) { b.hidden = true; b.replaceChildren(); return; }
  b.className = 'banner ' + (kind || 'error');
  b.replaceChildren(text);
  b.hidden = false;
}
function ago(date) {
  const s = Math.max(0, Math.round((Date.now() - date.getTime()) / 1000));
  if (s < 60) return s + ' s';
  if (s < 3600) return Math.floor(s / 60) + ' min ' + (s % 60) + ' s';
  return Math.floor(s / 3600) + ' h ' + Math.floor((s % 3600) / 60) + ' min';
}

// ---- API -----------------------------------------------------------------
class ApiError extends Error {
  constructor(status, body) {
    super(body && body.error ? body.error : 'HTTP ' + status);
    this.status = status;
    this.body = body || {};
  }
}

// fetch with the console's header; a 401 asking to log in again waits for
// the login dialog and retries once, so that an edit survives an expired
// session.
async function api(method, path, body, retried) {
  const opts = { method, headers: { 'X-Tandem-Console': '1' }, credentials: 'same-origin' };
  if (body !== undefined) {
    opts.headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, opts);
  } catch (e) {
    throw new ApiError(0, { error: 'the console does not answer (' + e.message + ')' });
  }
  let data = {};
  try { data = await res.json(); } catch (e) { data = { error: 'HTTP ' + res.status }; }
  if (res.status === 401 && data.relogin && !retried && state.session) {
    await relogin();
    return api(method, path, body, true);
  }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

function loginFields(prefix) {
  return [
    h('label', { for: prefix + '-user' }, 'User name'),
    h('input', { id: prefix + '-user', name: 'user', autocomplete: 'username', required: true }),
    h('label', { for: prefix + '-password' }, 'Password'),
    h('input', { id: prefix + '-password', name: 'password', type: 'password',
                 autocomplete: 'current-password', required: true }),
    h('label', { for: prefix + '-tenant' }, 'Tenant (leave empty if you are in none)'),
    h('input', { id: prefix + '-tenant', name: 'tenant', autocomplete: 'organization' }),
  ];
}

async function login(form) {
  const data = Object.fromEntries(new FormData(form).entries());
  const r = await api('POST', '/api/login', data, true);
  state.session = r;
  return r;
}

// Shows the login dialog over the page; resolves once logged in again.
function relogin() {
  return new Promise((resolve) => {
    state.reloginWaiters.push(resolve);
    const dlg = $('#relogin');
    if (dlg.open) return;
    const form = $('#relogin-form');
    const fields = form.querySelector('.login-fields');
    fields.replaceChildren(...loginFields('relogin'));
    const user = state.session && state.session.identity.replace(/^person /, '');
    if (user) form.querySelector('#relogin-user').value = user;
    form.querySelector('.error').textContent = '';
    form.onsubmit = async (ev) => {
      ev.preventDefault();
      try {
        await login(form);
        dlg.close();
        const waiters = state.reloginWaiters.splice(0);
        waiters.forEach((w) => w());
        startLive();
        renderHeader();
      } catch (e) {
        form.querySelector('.error').textContent = e.message;
      }
    };
    dlg.showModal();
    form.querySelector('#relogin-password').focus();
  });
}

// ---- Live updates (Server-Sent Events) -----------------------------------
function startLive() {
  if (state.live.source) state.live.source.close();
  const src = new EventSource('/api/events?since=' + state.revision);
  state.live.source = src;
  src.addEventListener('hello', (ev) => {
    const d = JSON.parse(ev.data);
    state.live.server = d.server;
    state.live.connected = true;
    state.live.error = '';
    state.live.since = new Date();
    renderLive();
  });
  const advance = (rev) => { if (rev > state.revision) state.revision = rev; };
  src.addEventListener('revision', (ev) => { advance(JSON.parse(ev.data).revision); });
  src.addEventListener('changes', (ev) => {
    const d = JSON.parse(ev.data);
    advance(d.revision);
    for (const fn of state.listeners) fn(d.changes);
  });
  const broken = (text) => {
    if (state.live.connected || !state.live.error) state.live.since = new Date();
    state.live.connected = false;
    state.live.error = text;
    renderLive();
  };
  src.addEventListener('status', (ev) => {
    const d = JSON.parse(ev.data);
    broken('server ' + d.server + ': ' + d.error);
    if (d.relogin) { src.close(); relogin(); }
  });
  src.addEventListener('resync', () => {
    // History no longer reaches back to our revision: reload what is shown.
    state.revision = 0;
    src.close();
    route().then(startLive);
  });
  src.addEventListener('error', () => {
    if (src.readyState === EventSource.CLOSED) {
      broken('the console does not answer');
      const retry = () => setTimeout(async () => {
        if (state.live.source !== src) return;
        try {
          await api('GET', '/api/session');  // asks to log in again if the session ended
          if (state.live.source === src) startLive();
        } catch (e) {
          broken(e.message);
          retry();
        }
      }, 2000);
      retry();
    } else if (!state.live.error) {
      broken('reconnecting');
    }
  });
}

function renderLive() {
  const el = $('#live');
  el.hidden = !state.session;
  const l = state.live;
  if (l.connected) {
    el.className = 'badge ok';
    el.textContent = 'live · ' + l.server + ' · revision ' + state.revision;
  } else {
    el.className = 'badge bad';
    el.textContent = (l.error || 'not connected') + ' · last known state, ' +
        (l.since ? ago(l.since) + ' old' : 'age unknown');
  }
}
setInterval(() => { if (state.session) renderLive(); }, 1000);

// ---- Header --------------------------------------------------------------
function renderHeader() {
  const logged = !!state.session;
  $('#nav').hidden = !logged;
  $('#who').hidden = !logged;
  $('#logout').hidden = !logged;
  if (logged) $('#who').textContent = state.session.identity;
  const page = (location.hash.split('/')[1] || '');
  for (const a of document.querySelectorAll('#nav a')) {
    if (a.dataset.page === page || (page === 'object' && a.dataset.page === 'config')) {
      a.setAttribute('aria-current', 'page');
    } else {
      a.removeAttribute('aria-current');
    }
  }
  renderLive();
}

// ---- Pages ---------------------------------------------------------------
function loginPage() {
  const error = h('p', { class: 'error', role: 'alert' });
  const form = h('form', { class: 'login', 'aria-labelledby': 'login-title' },
    h('h1', { id: 'login-title' }, 'Log in to Tandem'),
    loginFields('login'), error, h('button', { type: 'submit' }, 'Log in'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    error.textContent = '';
    try {
      await login(form);
      renderHeader();
      startLive();
      const next = sessionStorage.getItem('tandem-after-login') || '#/config';
      sessionStorage.removeItem('tandem-after-login');
      if (location.hash === next) route(); else location.hash = next;
    } catch (e) {
      error.textContent = e.message;
    }
  });
  setPage(form);
  form.querySelector('#login-user').focus();
}

function objectLink(o) {
  return h('a', { href: '#/object/' + o.type + '/' + o.dbid }, o.name || '(no name)');
}

async function configPage(params) {
  const folder = Number(params.get('folder') || 0);
  const current = stillCurrent();
  const [folders, listing] = await Promise.all([
    api('GET', '/api/objects?type=folder'),
    api('GET', '/api/objects' + (folder ? '?folder=' + folder : '')),
  ]);
  if (!current()) return;
  if (listing.revision > state.revision) state.revision = listing.revision;
  const byDbid = new Map(folders.objects.map((f) => [f.dbid, f]));
  const here = new Map();
  for (const o of listing.objects) if (o.folder_dbid === folder) here.set(o.type + '/' + o.dbid, o);

  // Folder tree: children under their parents.
  const children = new Map();
  for (const f of folders.objects) {
    const p = f.folder_dbid || 0;
    if (!children.has(p)) children.set(p, []);
    children.get(p).push(f);
  }
  const tree = (parent) => {
    const kids = (children.get(parent) || []).sort((a, b) => a.name.localeCompare(b.name));
    if (!kids.length) return null;
    return h('ul', {}, kids.map((f) => h('li', {},
      h('a', { href: '#/config?folder=' + f.dbid, 'aria-current': f.dbid === folder ? 'page' : null },
        f.name), tree(f.dbid))));
  };
  const nav = h('nav', { class: 'tree', 'aria-label': 'Folders' },
    h('a', { href: '#/config', 'aria-current': folder === 0 ? 'page' : null }, '(top level)'),
    tree(0));

  const filter = h('input', { id: 'filter', type: 'search', placeholder: 'Filter by name or type',
                              'aria-label': 'Filter objects' });
  const tbody = h('tbody');
  const count = h('p', { class: 'count', 'aria-live': 'polite' });
  // A long folder shows its first rows at once; the rest on request (the
  // filter always searches all of them).
  const PAGE = 500;
  let shown = PAGE;
  const more = h('button', { type: 'button', hidden: true,
                             onclick: () => { shown = Infinity; draw(); } });
  const byName = (a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1
                            : a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  const draw = () => {
    const q = filter.value.trim().toLowerCase();
    const rows = [...here.values()]
      .filter((o) => !q || o.name.toLowerCase().includes(q) || o.type.toLowerCase().includes(q))
      .sort(byName);
    const visible = rows.slice(0, shown);
    tbody.replaceChildren(...visible.map((o) => h('tr', { 'data-key': o.type + '/' + o.dbid },
      h('td', {}, o.type), h('td', {}, objectLink(o)), h('td', { class: 'num' }, o.dbid),
      h('td', {}, o.enabled ? 'yes' : 'no'), h('td', { class: 'num' }, o.revision))));
    count.textContent = rows.length + ' of ' + here.size + ' objects' +
        (visible.length < rows.length ? ' (the first ' + visible.length + ' shown)' : '');
    more.hidden = visible.length >= rows.length;
    more.textContent = 'Show all ' + rows.length;
  };
  filter.addEventListener('input', draw);
  draw();
  const title = folder ? (byDbid.get(folder) ? byDbid.get(folder).name : 'folder ' + folder)
                       : 'Top level';
  setPage(h('div', { class: 'split' }, nav, h('section', { class: 'objects' },
    h('h1', {}, 'Configuration: ', title), filter, count,
    h('div', { class: 'scroll' }, h('table', {},
      h('thead', {}, h('tr', {}, ['Type', 'Name', 'DBID', 'Enabled', 'Revision'].map(
        (t) => h('th', { scope: 'col' }, t)))), tbody)), more)));
  // Live: objects of this folder appear, change and go as they happen.
  onChanges((changes) => {
    for (const c of changes) {
      const key = c.type + '/' + c.dbid;
      if (c.after && c.after.folder_dbid === folder) here.set(key, c.after);
      else here.delete(key);
    }
    draw();
  });
}

function onChanges(fn) {
  state.listeners.clear();
  state.listeners.add(fn);
}

// A property's value as an input, and back.
function kindOf(v) {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return 'int';
  return 'json';
}
function fieldInput(id, kind, value) {
  if (kind === 'bool') {
    const el = h('input', { id, type: 'checkbox' });
    el.checked = !!value;
    return el;
  }
  const el = h('input', { id, type: 'text', inputmode: kind === 'int' ? 'numeric' : null,
                          spellcheck: 'false' });
  el.value = kind === 'json' ? JSON.stringify(value) : String(value);
  return el;
}
function fieldValue(el, kind, label) {
  if (kind === 'bool') return el.checked;
  if (kind === 'string') return el.value;
  if (kind === 'int') {
    if (!/^-?\d+$/.test(el.value.trim())) throw new FieldError(label, 'must be a whole number');
    return Number(el.value.trim());
  }
  try { return JSON.parse(el.value); } catch (e) {
    throw new FieldError(label, 'is not valid JSON (' + e.message + ')');
  }
}
class FieldError extends Error {
  constructor(field, message) { super(field + ': ' + message); this.field = field; }
}

async function objectPage(type, dbid) {
  const current = stillCurrent();
  const got = await api('GET', '/api/objects/' + type + '/' + dbid);
  if (!current()) return;
  if (got.revision > state.revision) state.revision = got.revision;
  let base = got.object;          // the version the edit started from
  let dirty = false;
  const fields = [];              // {path, kind, el}
  const form = h('form', { class: 'object', 'aria-labelledby': 'object-title', novalidate: true });
  const notice = h('div', { class: 'notice', role: 'status', 'aria-live': 'polite' });
  const error = h('p', { class: 'error', role: 'alert' });
  const newer = h('section', { class: 'newer', hidden: true, 'aria-label': 'The newer version' });

  const row = (path, label, kind, value) => {
    const id = 'f-' + path.replace(/[^A-Za-z0-9_-]/g, '_');
    const el = fieldInput(id, kind, value);
    el.addEventListener('input', () => { dirty = true; });
    el.addEventListener('change', () => { dirty = true; });
    const msg = h('span', { class: 'field-error', id: id + '-error' });
    el.setAttribute('aria-describedby', id + '-error');
    fields.push({ path, kind, el, msg });
    return h('div', { class: 'field', 'data-field': path },
      h('label', { for: id }, label), el, msg);
  };
  const fill = (o) => {
    fields.length = 0;
    const props = Object.keys(o.properties).sort();
    form.replaceChildren(
      h('h1', { id: 'object-title' }, o.type, ' ', o.name),
      h('p', { class: 'meta' }, 'DBID ' + o.dbid + ' · revision ' + o.revision + ' · ',
        h('a', { href: '#/object/' + o.type + '/' + o.dbid + '/history' }, 'History')),
      notice, newer,
      h('fieldset', {}, h('legend', {}, 'Object'),
        row('name', 'Name', 'string', o.name),
        row('enabled', 'Enabled', 'bool', o.enabled),
        row('folder_dbid', 'Folder (DBID, 0 for none)', 'int', o.folder_dbid),
        row('tenant_dbid', 'Tenant (DBID, 0 for none)', 'int', o.tenant_dbid)),
      h('fieldset', {}, h('legend', {}, 'Properties'),
        props.length ? props.map((k) => row('properties.' + k, k, kindOf(o.properties[k]),
                                            o.properties[k]))
                     : h('p', {}, 'No properties.')),
      h('fieldset', {}, h('legend', {}, 'Options and annex (JSON)'),
        row('options', 'Options', 'json', o.options),
        row('annex', 'Annex', 'json', o.annex)),
      error,
      h('div', { class: 'actions' },
        h('button', { type: 'submit' }, 'Save'),
        h('button', { type: 'button', onclick: () => { dirty = false; route(); } }, 'Discard changes')));
    dirty = false;
  };
  const collect = () => {
    const o = { type: base.type, dbid: base.dbid, properties: {}, options: {}, annex: {} };
    for (const f of fields) {
      const v = fieldValue(f.el, f.kind, f.path);
      if (f.path.startsWith('properties.')) o.properties[f.path.slice(11)] = v;
      else o[f.path] = v;
    }
    return o;
  };
  const clearErrors = () => {
    error.textContent = '';
    for (const f of fields) { f.msg.textContent = ''; f.el.removeAttribute('aria-invalid'); }
  };
  const markField = (path, message) => {
    const f = fields.find((x) => path === x.path || path.startsWith(x.path + '.') ||
                                 path.startsWith(x.path + '['));
    if (!f) return false;
    f.el.setAttribute('aria-invalid', 'true');
    f.msg.textContent = message;
    f.el.focus();
    return true;
  };
  const showNewer = (current) => {
    newer.hidden = false;
    const c = current.object;
    newer.replaceChildren(
      h('h2', {}, 'Someone changed this object while you edited it (now revision ' + c.revision + ')'),
      h('p', {}, 'Your edit was not saved and is kept in the form. The newer version:'),
      h('pre', {}, JSON.stringify({ name: c.name, enabled: c.enabled, folder_dbid: c.folder_dbid,
                                     properties: c.properties }, null, 2)),
      h('div', { class: 'actions' },
        h('button', { type: 'button', onclick: () => { base = c; newer.hidden = true;
          notice.textContent = 'Your edit now applies on top of revision ' + c.revision +
                               ': save again to overwrite it.'; } }, 'Keep my edit on top of it'),
        h('button', { type: 'button', onclick: () => { base = c; fill(c); } },
          'Load the newer version (discard mine)')));
  };
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors();
    let object;
    try { object = collect(); } catch (e) {
      if (e instanceof FieldError) { markField(e.field, e.message); return; }
      throw e;
    }
    try {
      const r = await api('PUT', '/api/objects/' + base.type + '/' + base.dbid,
                          { object, expected_revision: base.revision });
      base = r.object;
      if (r.revision > state.revision) state.revision = r.revision;
      fill(base);
      notice.textContent = 'Saved at revision ' + r.revision + '.';
    } catch (e) {
      if (e.status === 409 && e.body.current) {
        showNewer(e.body.current);
        error.textContent = 'Not saved: ' + e.message;
      } else if (e.body && e.body.field && markField(e.body.field, e.message)) {
        error.textContent = 'Not saved: the server refused a field (marked above).';
      } else {
        error.textContent = 'Not saved: ' + e.message;
      }
    }
  });
  fill(base);
  setPage(form);
  onChanges((changes) => {
    for (const c of changes) {
      if (c.type !== base.type || c.dbid !== base.dbid) continue;
      if (!c.after) { notice.textContent = 'This object was deleted by ' + c.who + '.'; continue; }
      if (c.after.revision <= base.revision) continue;
      if (dirty) {
        notice.textContent = 'Changed by ' + c.who + ' at revision ' + c.revision +
                             ' while you edit: saving will be refused and show you that version.';
      } else {
        base = c.after;
        fill(base);
        notice.textContent = 'Updated live: changed by ' + c.who + ' at revision ' + c.revision + '.';
      }
    }
  });
}

// Flattens an object to path -> JSON text, for a field-by-field diff.
function flatten(o, prefix, out) {
  out = out || new Map();
  if (o !== null && typeof o === 'object' && !Array.isArray(o) && !('ref' in o)) {
    for (const k of Object.keys(o)) flatten(o[k], prefix ? prefix + '.' + k : k, out);
  } else {
    out.set(prefix, JSON.stringify(o));
  }
  return out;
}

async function historyPage(type, dbid) {
  const current = stillCurrent();
  const r = await api('GET', '/api/objects/' + type + '/' + dbid + '/history');
  if (!current()) return;
  const items = r.changes.slice().reverse().map((c) => {
    const before = c.before ? flatten(c.before, '') : new Map();
    const after = c.after ? flatten(c.after, '') : new Map();
    before.delete('revision'); after.delete('revision');
    const keys = [...new Set([...before.keys(), ...after.keys()])].sort();
    const rows = keys.filter((k) => before.get(k) !== after.get(k)).map((k) =>
      h('tr', {}, h('th', { scope: 'row' }, k),
        h('td', { class: 'before' }, before.has(k) ? before.get(k) : '—'),
        h('td', { class: 'after' }, after.has(k) ? after.get(k) : '—')));
    return h('li', {},
      h('h2', {}, 'Revision ' + c.revision + ': ' + c.kind),
      h('p', { class: 'meta' }, c.who + ' · ' + c.committed_at),
      h('table', { class: 'diff' }, h('thead', {}, h('tr', {},
        h('th', { scope: 'col' }, 'Field'), h('th', { scope: 'col' }, 'Before'),
        h('th', { scope: 'col' }, 'After'))), h('tbody', {}, rows)));
  });
  const name = r.changes.length ? (r.changes[r.changes.length - 1].after ||
                                   r.changes[r.changes.length - 1].before).name : '';
  setPage(h('section', { class: 'history' },
    h('h1', {}, 'History of ', type, ' ', name),
    h('p', {}, h('a', { href: '#/object/' + type + '/' + dbid }, 'Back to the object')),
    r.truncated ? h('p', { class: 'notice' }, 'Only the older part of a long history was searched.') : null,
    items.length ? h('ol', { class: 'changes' }, items) : h('p', {}, 'No changes in the history you may read.')));
  onChanges((changes) => {
    if (changes.some((c) => c.type === type && c.dbid === Number(dbid))) route();
  });
}

// A page fed by an event stream of its own (closed when the page changes):
// each `event` message (with at_ms) is drawn by render(data); `checked` says
// it was asked again with nothing new; `status` is a refusal (log in again);
// `ageEl` says how fresh what is shown is, or that the console is gone.
function pageStream(url, event, ageEl, render) {
  const current = stillCurrent();
  let checked = null;
  let error = '';
  const src = new EventSource(url);
  state.pageSource = src;
  const showAge = () => {
    if (!current()) return;
    ageEl.className = 'meta' + (error ? ' bad-text' : '');
    ageEl.textContent = (error ? error + ' · last known state, ' : 'checked ') +
      (checked ? ago(checked) + (error ? ' old' : ' ago') : '(not yet)');
  };
  const timer = setInterval(() => { if (!current()) clearInterval(timer); else showAge(); }, 1000);
  src.addEventListener(event, (ev) => {
    if (!current()) return;
    const d = JSON.parse(ev.data);
    checked = new Date(d.at_ms);
    error = '';
    render(d);
    showAge();
  });
  src.addEventListener('checked', (ev) => {
    checked = new Date(JSON.parse(ev.data).at_ms);
    error = '';
    showAge();
  });
  src.addEventListener('status', (ev) => {
    const d = JSON.parse(ev.data);
    error = d.error;
    showAge();
    if (d.relogin) { src.close(); relogin().then(() => { if (current()) route(); }); }
  });
  src.addEventListener('error', () => {
    error = 'the console does not answer';
    showAge();
  });
}

// ---- Plots (SVG, drawn here: no library) ----------------------------------
const SVG = 'http://www.w3.org/2000/svg';
function svg(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  for (const c of children) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}
// series: [{name, points: [[t_ms, value], ...]}]; a line each, the newest value in the legend.
function plot(title, series, unit) {
  const W = 320, H = 120, P = 28;
  const all = series.flatMap((x) => x.points);
  const fig = h('figure', { class: 'plot', 'data-plot': title }, h('figcaption', {}, title));
  if (all.length < 2) {
    fig.append(h('p', { class: 'meta' }, 'Not enough samples yet (one every 10 s while this page is open).'));
    return fig;
  }
  const t0 = Math.min(...all.map((p) => p[0])), t1 = Math.max(...all.map((p) => p[0]));
  const vmax = Math.max(1e-9, ...all.map((p) => p[1]));
  const x = (t) => P + (W - P - 4) * (t - t0) / Math.max(1, t1 - t0);
  const y = (v) => H - 16 - (H - 24) * v / vmax;
  const chart = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': title },
    svg('line', { x1: P, y1: H - 16, x2: W - 4, y2: H - 16, class: 'axis' }),
    svg('text', { x: 2, y: 12, class: 'tick' }, fmtValue(vmax, unit)),
    svg('text', { x: 2, y: H - 16, class: 'tick' }, '0'),
    svg('text', { x: P, y: H - 2, class: 'tick' }, Math.round((t1 - t0) / 60000) + ' min'));
  series.forEach((sr, i) => {
    if (sr.points.length < 2) return;
    chart.append(svg('polyline', { class: 'series s' + i, fill: 'none',
      points: sr.points.map((p) => x(p[0]).toFixed(1) + ',' + y(p[1]).toFixed(1)).join(' ') }));
  });
  fig.append(chart, h('p', { class: 'legend' }, series.map((sr, i) => h('span', { class: 'key s' + i },
    sr.name + ': ' + (sr.points.length ? fmtValue(sr.points[sr.points.length - 1][1], unit) : '-')))));
  return fig;
}
function fmtValue(v, unit) {
  if (unit === 'B') return v >= 1048576 ? (v / 1048576).toFixed(1) + ' MiB' : v >= 1024 ? (v / 1024).toFixed(1) + ' KiB' : Math.round(v) + ' B';
  if (unit === 's') return v.toFixed(v < 10 ? 2 : 0) + ' s';
  return (v < 10 ? v.toFixed(2) : Math.round(v)) + (unit ? ' ' + unit : '');
}
function regionPlots(history) {
  const samples = history.samples;
  const names = [...new Set(samples.flatMap((x) => Object.keys(x.regions)))];
  // Writes per second: the live DBMS's revisions between two samples.
  const writes = [];
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1], b = samples[i];
    const live = names.find((n) => b.regions[n] && b.regions[n].live);
    if (!live || !a.regions[live] || a.regions[live].revision === undefined || b.regions[live].revision === undefined) continue;
    const dt = (b.at_ms - a.at_ms) / 1000;
    if (dt > 0) writes.push([b.at_ms, Math.max(0, b.regions[live].revision - a.regions[live].revision) / dt]);
  }
  const per = (key) => names.map((n) => ({ name: n, points: samples.filter((x) => x.regions[n] && x.regions[n][key] !== undefined)
    .map((x) => [x.at_ms, x.regions[n][key]]) })).filter((sr) => sr.points.length);
  return h('div', { class: 'plots', id: 'plots' },
    plot('Writes per second (revisions of the live DBMS)', [{ name: 'writes/s', points: writes }], '/s'),
    plot('Replication lag (bytes, the standbys of each region\'s DBMS)', per('lag_bytes'), 'B'),
    plot('Replay lag (seconds)', per('replay_lag_s'), 's'));
}

// ---- Regions (tandemctl dr status, live) --------------------------------
// A region is "down" when neither its DBMS nor any of its masters answers,
// "live" when the primary master writes to a writable DBMS in it.
function regionState(r, view) {
  if (view.live_region === r.name) return 'live';
  if (!r.dbms_reachable && !(r.masters || []).some((m) => m.reachable)) return 'down';
  return 'up';
}
const stateText = { live: 'live: takes writes', down: 'down: nothing answers', up: 'up, not live' };

function serverRows(list, columns) {
  return list.map((x) => h('tr', { class: x.reachable ? null : 'unreachable' },
    h('td', {}, x.address),
    x.reachable ? columns.map((c) => h('td', { class: c.num ? 'num' : null }, c.get(x) ?? '-'))
      : h('td', { colspan: columns.length, class: 'error' }, 'does not answer: ' + (x.error || '?'))));
}
function serverTable(caption, list, columns) {
  if (!list || !list.length) return null;
  return h('div', { class: 'scroll' }, h('table', {},
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Address'),
      columns.map((c) => h('th', { scope: 'col' }, c.title)))),
    h('tbody', {}, serverRows(list, columns))));
}
function fmtSeconds(v) { return v === undefined || v === null ? '-' : v.toFixed(1) + ' s'; }

function regionCard(r, view) {
  const st = regionState(r, view);
  const dbms = [];
  if (r.dbms_reachable) {
    dbms.push(h('dl', { class: 'facts' },
      h('dt', {}, 'DBMS'), h('dd', {}, r.dbms_role + ' · ' + r.dbms_endpoint),
      h('dt', {}, 'Revision'), h('dd', {}, String(r.revision) +
        (r.missing_revisions ? ' (' + r.missing_revisions + ' behind)' : '')),
      h('dt', {}, 'Timeline'), h('dd', {}, String(r.timeline)),
      r.last_replay_age_s !== undefined ? [h('dt', {}, 'Last replay'), h('dd', {}, fmtSeconds(r.last_replay_age_s) + ' ago')] : null,
      (r.fenced && r.fenced.length) || r.runbook_fence ? [h('dt', {}, 'Fenced'),
        h('dd', { class: 'bad-text' }, [(r.fenced || []).join(', '), r.runbook_fence ? 'by runbook ' + r.runbook_fence : ''].filter(Boolean).join('; '))] : null,
      r.unreplicated_revisions ? [h('dt', {}, 'Not replicated'), h('dd', { class: 'bad-text' }, r.unreplicated_revisions + ' revision(s) the live DBMS lacks')] : null));
    if (r.standbys && r.standbys.length) {
      dbms.push(h('div', { class: 'scroll' }, h('table', {}, h('caption', {}, 'Standbys'),
        h('thead', {}, h('tr', {}, ['Name', 'Sync', 'Lag', 'Lag (s)'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, r.standbys.map((sb) => h('tr', {}, h('td', {}, sb.name), h('td', {}, sb.sync_state),
          h('td', { class: 'num' }, sb.lag_bytes + ' B'), h('td', { class: 'num' }, fmtSeconds(sb.replay_lag_s))))))));
    }
  } else {
    dbms.push(h('p', { class: 'error' }, 'DBMS does not answer: ' + (r.dbms_error || '?')));
  }
  return h('section', { class: 'region ' + st, 'data-region': r.name, 'data-state': st,
    'data-dbms': r.dbms_reachable ? r.dbms_role : 'down', 'aria-labelledby': 'region-' + r.name },
    h('h2', { id: 'region-' + r.name }, r.name, ' ', h('span', { class: 'chip ' + st }, stateText[st])),
    dbms,
    serverTable('Masters', r.masters, [
      { title: 'Role', get: (m) => m.role }, { title: 'Node', get: (m) => m.node },
      { title: 'Epoch', get: (m) => m.epoch, num: true }, { title: 'Revision', get: (m) => m.revision, num: true }]),
    serverTable('Proxies', r.proxies, [
      { title: 'Mode', get: (p) => p.mode }, { title: 'Revision', get: (p) => p.revision, num: true },
      { title: 'Master', get: (p) => p.master || p.detail }]),
    serverTable('Solution Control Servers', r.scs, [
      { title: 'Role', get: (c) => c.role }, { title: 'Epoch', get: (c) => c.epoch, num: true },
      { title: 'Running', get: (c) => c.started + ' of ' + c.applications + ' apps on ' + c.hosts + ' hosts' }]),
    serverTable('Message Servers', r.message_servers, [
      { title: 'Role', get: (m) => m.role }, { title: 'Epoch', get: (m) => m.epoch, num: true },
      { title: 'Log Database', get: (m) => m.log_database ? m.log_database + ' · ' + m.log_events + ' events' : '-' }]));
}

function regionsView(view) {
  return [
    h('p', { class: 'live-region ' + (view.live_region ? 'ok' : 'bad'), id: 'live-region' },
      view.live_region ? 'Live region: ' + view.live_region : 'No live region: writes are refused'),
    view.warnings && view.warnings.length
      ? h('ul', { class: 'warnings', 'aria-label': 'Warnings' }, view.warnings.map((w) => h('li', {}, w))) : null,
    h('div', { class: 'regions' }, view.regions.map((r) => regionCard(r, view))),
    h('div', { class: 'scroll' }, h('table', { id: 'dns' }, h('caption', {}, 'DNS'),
      h('thead', {}, h('tr', {}, ['Name', 'Answers', 'TTL', 'Region'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, view.dns.map((d) => h('tr', {}, h('td', {}, d.name),
        d.error ? h('td', { colspan: 3, class: 'error' }, d.error)
          : [h('td', {}, d.addresses.join(', ') || '(none)'), h('td', { class: 'num' }, d.ttl + ' s'), h('td', {}, d.region || '-')]))))),
  ];
}

async function regionsPage() {
  if (!state.session.regions) {
    setPage(h('section', {}, h('h1', {}, 'Regions'),
      h('p', {}, 'The Regions page is not configured on this console: its bootstrap file needs ' +
        '[console] site, the site file of tandemctl dr.')));
    return;
  }
  const current = stillCurrent();
  const age = h('span', { id: 'regions-age', class: 'meta' }, 'asking every server…');
  const body = h('div', { id: 'regions-body' }, h('p', { class: 'meta' }, 'Waiting for the first answers.'));
  const plots = h('section', { 'aria-labelledby': 'plots-title' },
    h('h2', { id: 'plots-title' }, 'Since this page was opened (up to an hour)'), h('div', {}));
  setPage(h('section', {}, h('h1', {}, 'Regions'), age, body, plots));
  pageStream('/api/regions/events', 'regions', age, (d) => {
    body.replaceChildren(...regionsView(d.view).filter(Boolean));
  });
  const drawPlots = async () => {
    if (!current()) return;
    try {
      const history = await api('GET', '/api/regions/history');
      if (current()) plots.lastChild.replaceWith(regionPlots(history));
    } catch (e) { /* the stream's line says what is wrong */ }
    if (current()) setTimeout(drawPlots, 10000);
  };
  setTimeout(drawPlots, 1500);
}

// ---- Applications and hosts (through their SCSs) -------------------------
const actionText = {
  start: { title: 'Start', detail: 'Its SCS starts it through the LCA of its host, as its configuration says.' },
  stop: { title: 'Stop', detail: 'It is sent SIGTERM, given its stop timeout, then its whole process tree is killed. It stays stopped until started again.' },
  restart: { title: 'Restart', detail: 'It is stopped gracefully and started again.' },
  switchover: { title: 'Switch over to', detail: 'It becomes the primary of its pair (a new mode epoch); its partner becomes the backup.' },
};

// Asks the person to confirm in a modal dialog; resolves true or false.
function confirmAction(title, detail, label) {
  const dlg = $('#confirm');
  dlg.querySelector('h2').textContent = title;
  dlg.querySelector('p').textContent = detail;
  dlg.querySelector('button[value=yes]').textContent = label;
  return new Promise((resolve) => {
    dlg.addEventListener('close', () => resolve(dlg.returnValue === 'yes'), { once: true });
    dlg.returnValue = 'no';
    dlg.showModal();
    dlg.querySelector('button[value=no]').focus();
  });
}

// After the person confirms: POSTs `body` to `path` and says in `result`
// what the server answered (its message, or why it refused).
async function confirmedPost(result, title, detail, label, path, body) {
  if (!await confirmAction(title, detail, label)) return;
  result.className = 'meta';
  result.textContent = label + '…';
  try {
    const r = await api('POST', path, body);
    result.className = 'ok-text';
    result.textContent = r.message;
  } catch (e) {
    result.className = 'error';
    result.textContent = e.message;
  }
}

function controlApp(app, action, result) {
  const t = actionText[action];
  return confirmedPost(result, t.title + ' ' + app.name + ' on ' + app.host + '?', t.detail,
    t.title.split(' ')[0], '/api/apps/control', { action, application: app.name, scs: app.scs_address });
}

function appsView(p, result) {
  const statusClass = (st) => st === 'Started' ? 'ok-text' : (st === 'Stopped' ? 'meta' : 'bad-text');
  const rows = p.applications.map((a) => {
    const buttons = [];
    const button = (action, label) => h('button', { type: 'button', 'data-action': action,
      'aria-label': label + ' ' + a.name, onclick: () => controlApp(a, action, result) }, label);
    if (a.status !== 'Started') buttons.push(button('start', 'Start'));
    if (a.status !== 'Stopped' || a.wanted) buttons.push(button('stop', 'Stop'));
    if (a.status === 'Started') buttons.push(button('restart', 'Restart'));
    if (a.mode === 'backup') buttons.push(button('switchover', 'Switch over'));
    return h('tr', { 'data-app': a.name, 'data-status': a.status, 'data-pid': a.pid },
      h('th', { scope: 'row' }, a.name), h('td', {}, a.host),
      h('td', { class: statusClass(a.status) }, a.status + (a.gave_up ? ' (gave up)' : '')),
      h('td', {}, a.mode ? a.mode + ' (epoch ' + a.mode_epoch + ')' : '-'),
      h('td', { class: 'num' }, a.pid ? String(a.pid) : '-'),
      h('td', {}, a.since ? ago(new Date(a.since)) + ' ago' : '-'),
      h('td', { class: 'num' }, String(a.restarts)),
      h('td', {}, [a.reason, a.last_exit ? 'last exit: ' + a.last_exit : ''].filter(Boolean).join('; ') || '-'),
      h('td', {}, h('div', { class: 'actions' }, buttons)));
  });
  return [
    p.alarms.length ? h('ul', { class: 'warnings', 'aria-label': 'Alarms' }, p.alarms.map((x) => h('li', {}, x))) : null,
    h('div', { class: 'scroll' }, h('table', { id: 'apps' }, h('caption', {}, 'Applications'),
      h('thead', {}, h('tr', {}, ['Name', 'Host', 'Status', 'Mode', 'PID', 'Since', 'Restarts', 'Why', 'Actions']
        .map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { colspan: 9 }, 'No application you may read.'))))),
    h('div', { class: 'scroll' }, h('table', { id: 'hosts' }, h('caption', {}, 'Hosts'),
      h('thead', {}, h('tr', {}, ['Name', 'LCA', 'Since', 'Running', 'SCS', 'Warnings'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, p.hosts.map((x) => h('tr', { 'data-host': x.name },
        h('th', { scope: 'row' }, x.name), h('td', { class: x.lca_up ? 'ok-text' : 'bad-text' }, x.lca_up ? 'up' : 'down'),
        h('td', {}, x.since ? ago(new Date(x.since)) + ' ago' : '-'),
        h('td', { class: 'num' }, x.running + ' of ' + x.applications), h('td', {}, x.scs),
        h('td', {}, [...x.warnings, ...x.certificate].join('; ') || '-')))))),
    h('div', { class: 'scroll' }, h('table', { id: 'scs' }, h('caption', {}, 'Solution Control Servers'),
      h('thead', {}, h('tr', {}, ['Address', 'Name', 'Role', 'Epoch'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, p.scs.map((c) => h('tr', {}, h('td', {}, c.address), h('td', {}, c.application || '-'),
        h('td', { class: c.reachable ? null : 'bad-text' }, c.reachable ? c.role : 'does not answer: ' + c.error),
        h('td', { class: 'num' }, c.epoch !== undefined ? String(c.epoch) : '-')))))),
  ];
}

async function appsPage() {
  if (!state.session.applications) {
    setPage(h('section', {}, h('h1', {}, 'Applications'),
      h('p', {}, 'The Applications page is not configured on this console: its bootstrap file needs ' +
        '[console] scs, or a site file that lists the SCSs.')));
    return;
  }
  const age = h('span', { id: 'apps-age', class: 'meta' }, 'asking the SCSs…');
  const result = h('p', { id: 'apps-result', role: 'status', 'aria-live': 'polite' });
  const body = h('div', { id: 'apps-body' }, h('p', { class: 'meta' }, 'Waiting for the first answers.'));
  setPage(h('section', {}, h('h1', {}, 'Applications and hosts'), age, result, body));
  pageStream('/api/apps/events', 'apps', age, (d) => {
    body.replaceChildren(...appsView(d.picture, result).filter(Boolean));
  });
}

// ---- Alarms (the Log Message Servers) ------------------------------------
function alarmsView(p, result) {
  const rows = p.alarms.map((a) => h('tr', { 'data-alarm': a.id, 'data-condition': a.condition,
    'data-active': a.active ? 'yes' : 'no' },
    h('th', { scope: 'row' }, a.condition),
    h('td', {}, h('span', { class: 'chip ' + (a.category === 'critical' ? 'down' : '') }, a.category)),
    h('td', {}, a.application), h('td', {}, a.host), h('td', {}, a.text || '-'),
    h('td', {}, a.raised_at ? ago(new Date(a.raised_at)) + ' ago' : '-'),
    h('td', {}, a.active ? 'active' : 'cleared ' + (a.cleared_at ? ago(new Date(a.cleared_at)) + ' ago' : '') +
      (a.cleared_by ? ' by ' + a.cleared_by : '')),
    h('td', {}, a.active ? h('button', { type: 'button', 'aria-label': 'Clear ' + a.condition + ' of ' + a.application,
      onclick: () => confirmedPost(result, 'Clear ' + a.condition + ' of ' + a.application + ' on ' + a.host + '?',
        'It leaves the active alarms and is kept in the history with your name; it is raised again if it is detected again.',
        'Clear', '/api/alarms/clear', { id: a.id, server: a.server }) }, 'Clear') : null)));
  return [
    h('div', { class: 'scroll' }, h('table', { id: 'alarms' },
      h('caption', {}, p.all ? 'Alarms, active and cleared (newest first)' : 'Active alarms'),
      h('thead', {}, h('tr', {}, ['Condition', 'Category', 'Application', 'Host', 'Text', 'Raised', 'State', '']
        .map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { colspan: 8 }, p.all ? 'No alarm in the history you may read.' : 'No active alarm.'))))),
    h('p', { class: 'meta' }, 'Log Message Servers: ' + (p.servers.map((x) => x.address + ' ' + x.role +
      (x.error ? ' (' + x.error + ')' : '')).join(' · ') || 'none answers')),
  ];
}

async function alarmsPage(params) {
  if (!state.session.alarms) {
    setPage(h('section', {}, h('h1', {}, 'Alarms'),
      h('p', {}, 'The Alarms page is not configured on this console: its bootstrap file needs ' +
        '[console] log_servers, or a site file that lists the Message Servers.')));
    return;
  }
  const all = params.get('all') === '1';
  const age = h('span', { id: 'alarms-age', class: 'meta' }, 'asking the Log Message Servers…');
  const result = h('p', { id: 'alarms-result', role: 'status', 'aria-live': 'polite' });
  const body = h('div', { id: 'alarms-body' }, h('p', { class: 'meta' }, 'Waiting for the first answers.'));
  setPage(h('section', {}, h('h1', {}, 'Alarms'), age,
    h('p', {}, all ? h('a', { href: '#/alarms' }, 'Show only the active ones')
      : h('a', { href: '#/alarms?all=1' }, 'Show the history too')), result, body));
  pageStream('/api/alarms/events' + (all ? '?all=1' : ''), 'alarms', age, (d) => {
    body.replaceChildren(...alarmsView(d.picture, result).filter(Boolean));
  });
}

// ---- Logs and the audit trail (the Log Database) -------------------------
const kMaxLogRows = 2000;  // the page keeps the newest this many

async function logsPage(params) {
  if (!state.session.alarms) {
    setPage(h('section', {}, h('h1', {}, 'Logs'),
      h('p', {}, 'The Logs page is not configured on this console: its bootstrap file needs ' +
        '[console] log_servers, or a site file that lists the Message Servers.')));
    return;
  }
  const audit = params.get('audit') === '1';
  const field = (name, label, attrs) => h('label', { class: 'field' }, label,
    h('input', Object.assign({ name, value: params.get(name) || '' }, attrs || {})));
  const level = h('select', { name: 'level' }, ['', 'alarm', 'standard', 'interaction', 'trace'].map((l) =>
    h('option', { value: l, selected: (params.get('level') || '') === l }, l || 'every level')));
  const form = h('form', { class: 'filters', id: 'log-filters' },
    field('application', 'Application'), field('host', 'Host'), field('text', 'Text contains'),
    h('label', { class: 'field' }, 'Level', level),
    field('since_minutes', 'Since (minutes ago)', { inputmode: 'numeric', value: params.get('since_minutes') || '60' }),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Show')));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const q = new URLSearchParams();
    for (const [k, v] of new FormData(form).entries()) if (v) q.set(k, v);
    if (audit) q.set('audit', '1');
    location.hash = '#/' + (audit ? 'audit' : 'logs') + '?' + q.toString();
  });
  const age = h('span', { id: 'logs-age', class: 'meta' }, 'asking the Log Database…');
  const tbody = h('tbody', {});
  const table = h('div', { class: 'scroll' }, h('table', { id: 'logs' },
    h('caption', {}, audit ? 'Audit trail: configuration changes, refused calls, control actions (newest last, followed live)'
      : 'Log events (newest last, followed live)'),
    h('thead', {}, h('tr', {}, ['Time', 'Application', 'Host', 'Level', 'Id', 'Text'].map((t) => h('th', { scope: 'col' }, t)))),
    tbody));
  setPage(h('section', {}, h('h1', {}, audit ? 'Audit' : 'Logs'), form, age, table));
  const q = new URLSearchParams();
  for (const k of ['application', 'host', 'text', 'level', 'since_minutes']) if (params.get(k)) q.set(k, params.get(k));
  if (audit) q.set('audit', '1');
  pageStream('/api/logs/events?' + q.toString(), 'logs', age, (d) => {
    for (const e of d.picture.events) {
      tbody.append(h('tr', { 'data-seq': e.seq, 'data-message-id': e.message_id },
        h('td', {}, e.at ? new Date(e.at).toLocaleString() : '-'), h('td', {}, e.application), h('td', {}, e.host),
        h('td', {}, e.level), h('td', { class: 'num' }, String(e.message_id)), h('td', { class: 'log-text' }, e.text)));
    }
    while (tbody.rows.length > kMaxLogRows) tbody.deleteRow(0);
    if (!tbody.rows.length) tbody.append(h('tr', {}, h('td', { colspan: 6 }, 'No event matches (yet).')));
    else if (tbody.rows[0].cells.length === 1 && tbody.rows.length > 1) tbody.deleteRow(0);
  });
}

// ---- Routing -------------------------------------------------------------
async function route() {
  state.routeId += 1;
  if (state.pageSource) { state.pageSource.close(); state.pageSource = null; }
  const current = stillCurrent();
  const hash = location.hash || '#/config';
  const [path, query] = hash.slice(1).split('?');
  const parts = path.split('/').filter(Boolean);
  const params = new URLSearchParams(query || '');
  banner('');
  if (!state.session) {
    if (parts[0] !== 'login') sessionStorage.setItem('tandem-after-login', hash);
    renderHeader();
    return loginPage();
  }
  renderHeader();
  try {
    if (parts[0] === 'object' && parts.length === 4 && parts[3] === 'history') {
      await historyPage(parts[1], parts[2]);
    } else if (parts[0] === 'object' && parts.length === 3) {
      await objectPage(parts[1], parts[2]);
    } else if (parts[0] === 'logs' || parts[0] === 'audit') {
      onChanges(() => {});
      if (parts[0] === 'audit') params.set('audit', '1');
      await logsPage(params);
    } else if (parts[0] === 'alarms') {
      onChanges(() => {});
      await alarmsPage(params);
    } else if (parts[0] === 'apps') {
      onChanges(() => {});
      await appsPage();
    } else if (parts[0] === 'regions') {
      onChanges(() => {});
      await regionsPage();
    } else {
      await configPage(params);
    }
    main().focus({ preventScroll: true });
  } catch (e) {
    if (!current()) return;
    if (e.status === 404 || e.status === 403) {
      onChanges(() => {});
      setPage(h('section', {}, h('h1', {}, 'Not available'), h('p', {}, e.message),
        h('p', {}, h('a', { href: '#/config' }, 'Back to the configuration'))));
    } else {
      banner(e.message);
    }
  }
}

async function boot() {
  $('#logout').addEventListener('click', async () => {
    try { await api('POST', '/api/logout', {}, true); } catch (e) { /* gone already */ }
    state.session = null;
    if (state.live.source) state.live.source.close();
    location.hash = '#/login';
    route();
  });
  window.addEventListener('hashchange', route);
  try {
    state.session = await api('GET', '/api/session', undefined, true);
    startLive();
  } catch (e) {
    state.session = null;
  }
  route();
}

document.addEventListener('DOMContentLoaded', boot);
