// SafeNet DNS console: every operator task of the admin API, in Vietnamese (default) or English.
// The token lives in this tab's session storage only. No inline scripts or styles (the
// Content-Security-Policy forbids them); every text comes from i18n/<lang>.json; every value from
// the outside world (names, reasons, reports) is put in the page with textContent only.
'use strict';

const TOKEN_KEY = 'safenet-token';
const LANG_KEY = 'safenet-lang';
const LANGUAGES = ['vi', 'en'];
const REFRESH_MS = 10000;
const ROLES = ['viewer', 'operator', 'admin'];

let lang = localStorage.getItem(LANG_KEY) || 'vi';
let texts = {};
let me = null; // whoami: name, role, timeZone, categories
let seriesChart = null;
let timer = null;
let view = 'overview';
let entriesCursor = null;

// --- texts, numbers, dates -------------------------------------------------------------------

async function loadTexts(which) {
  const response = await fetch('/i18n/' + which + '.json');
  texts = await response.json();
  lang = which;
  localStorage.setItem(LANG_KEY, which);
  document.documentElement.lang = which;
  for (const el of document.querySelectorAll('[data-i18n]')) {
    el.textContent = t(el.dataset.i18n);
  }
  for (const el of document.querySelectorAll('[data-i18n-placeholder]')) {
    el.placeholder = t(el.dataset.i18nPlaceholder);
  }
  for (const el of document.querySelectorAll('[data-i18n-aria-label]')) {
    el.setAttribute('aria-label', t(el.dataset.i18nAriaLabel));
  }
  document.title = t('title');
}

// The text for key, with {name} replaced by params.name; the key itself when it is missing.
function t(key, params) {
  let s = Object.prototype.hasOwnProperty.call(texts, key) ? texts[key] : key;
  if (params) {
    for (const [k, v] of Object.entries(params)) {
      s = s.split('{' + k + '}').join(String(v));
    }
  }
  return s;
}

// The text for prefix + value when there is one (an outcome, a trigger), else the value as the API gave it.
function known(prefix, value) {
  if (value === null || value === undefined || value === '') {
    return '–';
  }
  const key = prefix + String(value).toLowerCase();
  return Object.prototype.hasOwnProperty.call(texts, key) ? texts[key] : String(value);
}

function locale() {
  return lang === 'vi' ? 'vi-VN' : 'en-GB';
}

function number(n) {
  return n === null || n === undefined ? '–' : new Intl.NumberFormat(locale()).format(n);
}

function time(iso) {
  if (!iso) {
    return '–';
  }
  const options = { dateStyle: 'short', timeStyle: 'medium' };
  if (me && me.timeZone) {
    options.timeZone = me.timeZone;
  }
  return new Intl.DateTimeFormat(locale(), options).format(new Date(iso));
}

// "2026-12" as the chosen language writes a month.
function monthName(yearMonth) {
  return new Intl.DateTimeFormat(locale(), { year: 'numeric', month: 'long', timeZone: 'UTC' })
    .format(new Date(yearMonth + '-01T00:00:00Z'));
}

// --- the API ---------------------------------------------------------------------------------

function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

class ApiError extends Error {}

async function api(method, path, body, contentType) {
  const headers = { Authorization: 'Bearer ' + token() };
  const init = { method, headers };
  if (body !== undefined) {
    headers['Content-Type'] = contentType || 'application/json';
    init.body = contentType ? body : JSON.stringify(body);
  }
  const response = await fetch(path, init);
  if (response.status === 401) {
    signOut(t('login.refused'));
    throw new ApiError('unauthorized');
  }
  const type = response.headers.get('content-type') || '';
  const data = type.startsWith('application/json') ? await response.json() : await response.text();
  if (!response.ok) {
    // The API's own message: it says what was wrong and what to do.
    throw new ApiError(data && data.error ? data.error.message : response.status + ' ' + response.statusText);
  }
  return data;
}

function get(path) {
  return api('GET', path);
}

function can(role) {
  return me !== null && ROLES.indexOf(me.role) >= ROLES.indexOf(role);
}

function say(message) {
  setText('error', '');
  setText('notice', message);
}

function fail(e) {
  if (e.message !== 'unauthorized') {
    setText('notice', '');
    setText('error', e.message);
  }
}

// Runs an action, says what it did or shows the API's error; refreshes the view after.
// Resolves to whether the action was done.
async function act(work, done) {
  try {
    await work();
  } catch (e) {
    fail(e);
    return false;
  }
  say(done);
  await show(view);
  return true;
}

// A confirmation (with an optional note) before a change; resolves to the note, or null if cancelled.
function confirmAction(message, withNote) {
  const dialog = document.getElementById('confirm-dialog');
  document.getElementById('confirm-text').textContent = message;
  const note = document.getElementById('confirm-note');
  note.value = '';
  note.hidden = !withNote;
  document.querySelector('label[for=confirm-note]').hidden = !withNote;
  return new Promise(resolve => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok' ? note.value : null), { once: true });
    dialog.showModal();
  });
}

// --- building the page -----------------------------------------------------------------------

function setText(id, text) {
  document.getElementById(id).textContent = text;
}

function element(tag, text, cls) {
  const el = document.createElement(tag);
  if (text !== undefined && text !== null) {
    el.textContent = text;
  }
  if (cls) {
    el.className = cls;
  }
  return el;
}

function button(label, onClick, cls) {
  const b = element('button', label, cls);
  b.type = 'button';
  b.addEventListener('click', onClick);
  return b;
}

// Fills a table: headers are i18n keys; each row is a list of cells (text, or a DOM node).
function fillTable(id, headers, rows) {
  const table = document.getElementById(id);
  table.replaceChildren();
  table.tabIndex = 0; // on a phone a table scrolls sideways: the keyboard must reach it too
  const head = element('thead');
  const tr = element('tr');
  for (const h of headers) {
    const th = element('th', t(h));
    th.scope = 'col';
    tr.appendChild(th);
  }
  head.appendChild(tr);
  table.appendChild(head);
  const body = element('tbody');
  if (rows.length === 0) {
    const empty = element('tr');
    const td = element('td', t('empty'), 'empty');
    td.colSpan = headers.length;
    empty.appendChild(td);
    body.appendChild(empty);
  }
  for (const cells of rows) {
    const row = element('tr');
    for (const c of cells) {
      const td = element('td');
      if (c instanceof Node) {
        td.appendChild(c);
      } else {
        td.textContent = c === null || c === undefined ? '' : String(c);
      }
      row.appendChild(td);
    }
    body.appendChild(row);
  }
  table.appendChild(body);
}

function actions(...nodes) {
  const span = element('span', null, 'actions');
  for (const n of nodes) {
    if (n) {
      span.appendChild(n);
    }
  }
  return span;
}

function categoryOptions(select, chosen) {
  select.replaceChildren();
  for (const c of (me && me.categories) || []) {
    const o = element('option', t('category.' + c));
    o.value = c;
    o.selected = c === chosen;
    select.appendChild(o);
  }
}

function applyRole() {
  for (const el of document.querySelectorAll('[data-role]')) {
    el.hidden = !can(el.dataset.role);
  }
}

// --- views -----------------------------------------------------------------------------------

const VIEWS = {
  overview: showOverview,
  entries: showEntries,
  allowlist: showAllowlist,
  categories: showCategories,
  sources: showSources,
  appeals: showAppeals,
  reports: showReports,
  profiles: showProfiles,
  tokens: showTokens,
  audit: showAudit,
  system: showSystem
};

async function show(which) {
  view = which;
  for (const v of Object.keys(VIEWS)) {
    document.getElementById('view-' + v).hidden = v !== which;
    const nav = document.getElementById('nav-' + v);
    if (v === which) {
      nav.setAttribute('aria-current', 'page');
    } else {
      nav.removeAttribute('aria-current');
    }
  }
  applyRole();
  try {
    await VIEWS[which]();
  } catch (e) {
    fail(e);
  }
}

function today() {
  const d = new Date();
  return d.getFullYear() + '-' + String(d.getMonth() + 1).padStart(2, '0') + '-' + String(d.getDate()).padStart(2, '0');
}

async function showOverview() {
  const day = await get('/api/v1/stats?from=' + today());
  setText('queries', number(day.queries));
  setText('blocked', number(day.blocked));
  setText('protected', number(day.protectedClients));
  setText('clients', number(day.distinctClients));
  setText('enforced', number(day.list.entries));
  fillTable('by-category', ['col.category', 'col.hits', 'col.clients'],
    Object.entries(day.blockedByCategory).map(([c, n]) =>
      [t('category.' + c), number(n), number(day.protectedClientsByCategory[c])]));
  const month = await get('/api/v1/stats?from=' + today().substring(0, 8) + '01');
  setText('protected-month', number(month.protectedClients));
  const series = await get('/api/v1/stats/series?resolution=minute');
  drawSeries(series.points);
  const top = await get('/api/v1/stats/top?kind=blocked&limit=10');
  fillTable('top-blocked', ['col.name', 'col.hits'], top.items.map(i => [i.name, number(i.count)]));
  const sources = await get('/api/v1/sources');
  fillTable('sources', ['col.source', 'col.type', 'col.entries', 'col.lastSync', 'col.outcome', 'col.held'],
    sources.items.map(s => [s.name, s.type, number(s.entries), time(s.state.lastAttempt),
      known('outcome.', s.state.lastOutcome), s.held ? t('sources.heldShort', { reason: s.held.reason }) : '']));
  const appeals = await get('/api/v1/appeals?status=pending');
  fillTable('appeals', ['col.time', 'col.host', 'col.reason'], appeals.items.map(a => [time(a.time), a.host, a.reason]));
  setText('updated', time(new Date().toISOString()));
}

function drawSeries(points) {
  if (typeof Chart === 'undefined') {
    return; // the chart library did not load; the numbers still show
  }
  const labels = points.map(p => new Intl.DateTimeFormat(locale(), { hour: '2-digit', minute: '2-digit',
    timeZone: me.timeZone }).format(new Date(p.start)));
  const queries = points.map(p => p.queries);
  const blocked = points.map(p => p.blocked);
  if (seriesChart === null) {
    seriesChart = new Chart(document.getElementById('series-chart'), {
      type: 'line',
      data: {
        labels,
        datasets: [
          { label: t('chart.queries'), data: queries, borderColor: '#0b3d61', tension: 0.2 },
          { label: t('chart.blocked'), data: blocked, borderColor: '#b3261e', tension: 0.2 }
        ]
      },
      options: { animation: false, maintainAspectRatio: false, scales: { y: { beginAtZero: true } } }
    });
  } else {
    seriesChart.data.labels = labels;
    seriesChart.data.datasets[0].data = queries;
    seriesChart.data.datasets[0].label = t('chart.queries');
    seriesChart.data.datasets[1].data = blocked;
    seriesChart.data.datasets[1].label = t('chart.blocked');
    seriesChart.update();
  }
}

function entryRow(e, side) {
  const remove = can('operator') && e.source === 'operator'
    ? button(t('remove'), () => removeEntry(e.name, side), 'danger')
    : null;
  return [e.name, t('match.' + e.match), side === 'entries' ? t('category.' + e.category) : '', e.source, e.reason,
    time(e.added), actions(remove)];
}

async function removeEntry(name, side) {
  if (await confirmAction(t('confirm.remove', { name }), false) === null) {
    return;
  }
  await act(() => api('DELETE', '/api/v1/' + side + '/' + encodeURIComponent(name)), t('done.removed', { name }));
}

async function showEntries(more) {
  const prefix = document.getElementById('entry-prefix').value.trim();
  let path = '/api/v1/entries?limit=50';
  if (prefix) {
    path += '&prefix=' + encodeURIComponent(prefix);
  }
  if (more === true && entriesCursor) {
    path += '&cursor=' + entriesCursor;
  }
  const page = await get(path);
  entriesCursor = page.nextCursor;
  document.getElementById('entries-more').hidden = !page.nextCursor;
  fillTable('entries', ['col.name', 'col.match', 'col.category', 'col.source', 'col.reason', 'col.added', 'col.actions'],
    page.items.map(e => entryRow(e, 'entries')));
}

async function showAllowlist() {
  const page = await get('/api/v1/allowlist?limit=200');
  fillTable('allowlist', ['col.name', 'col.match', 'col.category', 'col.source', 'col.reason', 'col.added', 'col.actions'],
    page.items.map(e => entryRow(e, 'allowlist')));
}

const CATEGORY_ACTIONS = ['sinkhole', 'nxdomain', 'nodata', 'refused', 'drop', 'off'];

async function showCategories() {
  const list = await get('/api/v1/categories');
  fillTable('categories', ['col.category', 'col.action', 'col.actions'], list.items.map(c => {
    if (!can('operator')) {
      return [t('category.' + c.name), t('action.' + c.action), ''];
    }
    const select = element('select');
    select.setAttribute('aria-label', t('categories.actionFor', { category: t('category.' + c.name) }));
    for (const a of CATEGORY_ACTIONS) {
      const o = element('option', t('action.' + a));
      o.value = a;
      o.selected = a === c.action;
      select.appendChild(o);
    }
    const save = button(t('save'), async () => {
      if (await confirmAction(t('confirm.category', { category: t('category.' + c.name), action: t('action.' + select.value) }), false) === null) {
        return;
      }
      await act(() => api('PUT', '/api/v1/categories/' + c.name, { action: select.value }), t('done.saved'));
    });
    return [t('category.' + c.name), select, actions(save)];
  }));
}

async function showSources() {
  const sources = await get('/api/v1/sources');
  fillTable('sources-table', ['col.source', 'col.type', 'col.category', 'col.entries', 'col.lastSync', 'col.outcome',
    'col.nextSync', 'col.held', 'col.actions'], sources.items.map(s => [
    s.name, s.type, t('category.' + s.category), number(s.entries), time(s.state.lastAttempt),
    s.state.lastOutcome ? known('outcome.', s.state.lastOutcome) + (s.state.lastDetail ? ': ' + s.state.lastDetail : '') : '–',
    time(s.state.nextAttempt), s.held ? t('sources.heldShort', { reason: s.held.reason }) : '',
    actions(
      can('operator') ? button(t('sources.syncNow'), () => act(() => api('POST', '/api/v1/sources/' +
        encodeURIComponent(s.name) + '/sync'), t('done.synced', { name: s.name }))) : null,
      can('operator') ? button(t(s.enabled ? 'sources.disable' : 'sources.enable'), async () => {
        if (await confirmAction(t(s.enabled ? 'confirm.disable' : 'confirm.enable', { name: s.name }), false) !== null) {
          await act(() => api('POST', '/api/v1/sources/' + encodeURIComponent(s.name) + (s.enabled ? '/disable' : '/enable')),
            t('done.saved'));
        }
      }, s.enabled ? 'danger' : '') : null,
      button(t('sources.history'), () => showHistory(s.name)),
      s.held ? button(t('sources.preview'), () => showHeld(s.name), 'primary preview') : null)
  ]));
}

async function showHistory(name) {
  const panel = document.getElementById('source-history');
  try {
    const history = await get('/api/v1/sources/' + encodeURIComponent(name) + '/history');
    panel.replaceChildren(element('h3', t('sources.historyOf', { name })), element('table'));
    panel.querySelector('table').id = 'history-table';
    panel.hidden = false;
    fillTable('history-table', ['col.time', 'col.trigger', 'col.outcome', 'col.added', 'col.removed', 'col.invalid', 'col.detail'],
      history.items.map(h => [time(h.start), h.trigger, known('outcome.', h.outcome), number(h.added), number(h.removed), number(h.invalid), h.detail]));
  } catch (e) {
    fail(e);
  }
}

// The held update of a source: what it adds and removes, then approve or discard.
async function showHeld(name) {
  const panel = document.getElementById('held-preview');
  try {
    const p = await get('/api/v1/sources/' + encodeURIComponent(name) + '/held?limit=100');
    panel.replaceChildren();
    panel.appendChild(element('h3', t('held.title', { name })));
    panel.appendChild(element('p', t('held.reason', { reason: p.reason, since: time(p.since) })));
    for (const part of ['added', 'changed', 'removed']) {
      panel.appendChild(element('h4', t('held.' + part, { total: number(p[part].total), shown: number(p[part].items.length) })));
      const list = element('ul', null, 'names held-' + part);
      for (const item of p[part].items) {
        list.appendChild(element('li', item.name));
      }
      panel.appendChild(list);
    }
    if (can('operator')) {
      const approve = button(t('held.approve'), async () => {
        if (await confirmAction(t('confirm.approve', { name, added: number(p.added.total), removed: number(p.removed.total) }), false) !== null) {
          panel.hidden = true;
          await act(() => api('POST', '/api/v1/sources/' + encodeURIComponent(name) + '/approve'), t('done.approved', { name }));
        }
      }, 'primary');
      approve.id = 'held-approve';
      const discard = button(t('held.discard'), async () => {
        if (await confirmAction(t('confirm.discard', { name }), false) !== null) {
          panel.hidden = true;
          await act(() => api('POST', '/api/v1/sources/' + encodeURIComponent(name) + '/discard'), t('done.discarded', { name }));
        }
      }, 'danger');
      discard.id = 'held-discard';
      panel.appendChild(actions(approve, discard));
    }
    panel.hidden = false;
  } catch (e) {
    fail(e);
  }
}

async function showAppeals() {
  const status = document.getElementById('appeal-status').value;
  const appeals = await get('/api/v1/appeals?status=' + status);
  fillTable('appeals-table', ['col.time', 'col.host', 'col.reason', 'col.count', 'col.client', 'col.status', 'col.actions'],
    appeals.items.map(a => [time(a.time), a.host, a.reasons.join(' | '), number(a.count), a.client, t('status.' + a.status),
      actions(
        can('operator') && a.status === 'pending' ? button(t('appeals.accept'), () => decideAppeal(a, true), 'primary accept') : null,
        can('operator') && a.status === 'pending' ? button(t('appeals.reject'), () => decideAppeal(a, false), 'reject') : null,
        can('operator') ? button(t('remove'), async () => {
          if (await confirmAction(t('confirm.remove', { name: a.host }), false) !== null) {
            await act(() => api('DELETE', '/api/v1/appeals/' + a.id), t('done.removed', { name: a.host }));
          }
        }, 'danger') : null)]));
}

async function decideAppeal(a, accept) {
  const note = await confirmAction(t(accept ? 'confirm.appealAccept' : 'confirm.appealReject', { name: a.host }), true);
  if (note === null) {
    return;
  }
  await act(() => api('POST', '/api/v1/appeals/' + a.id + (accept ? '/accept' : '/reject'), { note }),
    t(accept ? 'done.appealAccepted' : 'done.appealRejected', { name: a.host }));
}

async function showReports() {
  const status = document.getElementById('report-status').value;
  const reports = await get('/api/v1/reports?status=' + status);
  fillTable('reports-table', ['col.time', 'col.domain', 'col.kind', 'col.count', 'col.description', 'col.contact',
    'col.status', 'col.actions'], reports.items.map(r => {
    let controls = null;
    if (can('operator') && r.status === 'open') {
      const select = element('select', null, 'report-category');
      select.setAttribute('aria-label', t('reports.categoryFor', { name: r.domain }));
      categoryOptions(select, ['scam', 'phishing', 'malware', 'gambling'].includes(r.category) ? r.category : 'scam');
      controls = actions(select,
        button(t('reports.accept'), () => decideReport(r, select.value), 'primary accept'),
        button(t('reports.reject'), () => decideReport(r, null), 'reject'));
    } else if (r.decision) {
      controls = element('span', (r.decision.listCategory ? t('category.' + r.decision.listCategory) + ' – ' : '') + r.decision.by);
    }
    return [time(r.time), r.domain, t('kind.' + r.category), number(r.count), r.descriptions.join(' | '),
      r.contacts.join(', '), t('status.' + r.status), controls];
  }));
  const months = await get('/api/v1/stats/reports');
  fillTable('report-months', ['col.month', 'col.received', 'col.accepted', 'col.rejected'],
    Object.entries(months.months).map(([m, c]) => [monthName(m), number(c.received), number(c.accepted), number(c.rejected)]));
}

async function decideReport(r, category) {
  const note = await confirmAction(category
    ? t('confirm.reportAccept', { name: r.domain, category: t('category.' + category) })
    : t('confirm.reportReject', { name: r.domain }), true);
  if (note === null) {
    return;
  }
  await act(() => api('POST', '/api/v1/reports/' + r.id + (category ? '/accept' : '/reject'),
    category ? { category, note } : { note }),
  t(category ? 'done.reportAccepted' : 'done.reportRejected', { name: r.domain }));
}

// Puts a profile or client group in the editor, to change it and save (PUT).
function editPolicy(kind, item) {
  document.getElementById('policy-kind').value = kind;
  document.getElementById('policy-json').value = JSON.stringify(item, null, 2);
  document.getElementById('policy-json').focus();
}

async function savePolicy() {
  const kind = document.getElementById('policy-kind').value;
  let body;
  try {
    body = JSON.parse(document.getElementById('policy-json').value);
  } catch (e) {
    fail(new ApiError(t('profiles.badJson', { message: e.message })));
    return;
  }
  const list = await get('/api/v1/' + kind);
  const exists = (kind === 'profiles' ? list.profiles : list.clients).some(x => x.name === body.name);
  await act(() => exists
    ? api('PUT', '/api/v1/' + kind + '/' + encodeURIComponent(body.name), body)
    : api('POST', '/api/v1/' + kind, body), t('done.saved'));
}

// A table of profiles or client groups (kind: the API's collection), each editable and removable.
function policyTable(kind, tableId, items) {
  fillTable(tableId, ['col.name', 'col.detail', 'col.actions'], items.map(p => [p.name,
    JSON.stringify(Object.fromEntries(Object.entries(p).filter(([k]) => k !== 'name'))),
    actions(can('operator') ? button(t('edit'), () => editPolicy(kind, p)) : null,
      can('operator') ? button(t('remove'), async () => {
        if (await confirmAction(t('confirm.remove', { name: p.name }), false) !== null) {
          await act(() => api('DELETE', '/api/v1/' + kind + '/' + encodeURIComponent(p.name)), t('done.removed', { name: p.name }));
        }
      }, 'danger') : null)]));
}

async function showProfiles() {
  policyTable('profiles', 'profiles-table', (await get('/api/v1/profiles')).profiles);
  policyTable('clients', 'clients-table', (await get('/api/v1/clients')).clients);
}

async function showTokens() {
  if (!can('admin')) {
    return;
  }
  const tokens = await get('/api/v1/tokens');
  fillTable('tokens-table', ['col.name', 'col.role', 'col.created', 'col.createdBy', 'col.actions'],
    tokens.items.map(k => [k.name, t('role.' + k.role), time(k.created), k.createdBy,
      actions(k.id === me.id ? null : button(t('tokens.revoke'), async () => {
        if (await confirmAction(t('confirm.revoke', { name: k.name }), false) !== null) {
          await act(() => api('DELETE', '/api/v1/tokens/' + k.id), t('done.revoked', { name: k.name }));
        }
      }, 'danger'))]));
}

async function showSystem() {
  if (!can('admin')) {
    return;
  }
  const logging = await get('/api/v1/logging');
  fillTable('logging-table', ['system.logger', 'system.level'], Object.entries(logging.levels).map(([k, v]) => [k, v]));
}

async function reloadConfig() {
  if (await confirmAction(t('confirm.reload'), false) === null) {
    return;
  }
  const panel = document.getElementById('reload-result');
  try {
    const outcome = await api('POST', '/api/v1/config/reload');
    panel.replaceChildren(
      element('p', t('system.changed', { what: outcome.changed.length ? outcome.changed.join(', ') : t('system.nothing') })),
      element('p', t('system.needsRestart', { what: outcome.needsRestart.length ? outcome.needsRestart.join(', ') : t('system.nothing') })));
    panel.hidden = false;
    say(t('done.reloaded'));
  } catch (e) {
    fail(e);
  }
}

// The source request for the form: the location goes where its type reads it.
function sourceBody() {
  const type = document.getElementById('source-type').value;
  const location = document.getElementById('source-location').value.trim();
  const body = { name: document.getElementById('source-name').value.trim(), type,
    category: document.getElementById('source-category').value };
  if (type === 'rpz') {
    body.primary = location;
    body.zone = document.getElementById('source-zone').value.trim();
  } else if (type === 'file') {
    body.path = location;
    body.format = document.getElementById('source-format').value;
  } else {
    body.url = location;
    if (type === 'http') {
      body.format = document.getElementById('source-format').value;
    }
  }
  return body;
}

function auditQuery() {
  const q = new URLSearchParams();
  for (const [param, id] of [['via', 'audit-via'], ['actor', 'audit-actor'], ['action', 'audit-action']]) {
    const v = document.getElementById(id).value.trim();
    if (v) {
      q.set(param, v);
    }
  }
  return q;
}

async function showAudit() {
  const q = auditQuery();
  q.set('limit', '200');
  const trail = await get('/api/v1/audit?' + q);
  fillTable('audit-table', ['col.time', 'col.via', 'col.actor', 'col.client', 'col.action', 'col.target'],
    trail.items.map(e => [time(e.time), e.via || 'api', e.actor || e.tokenName, e.client, e.action, e.target]));
}

async function exportAudit() {
  try {
    const response = await fetch('/api/v1/audit/export?' + auditQuery(), { headers: { Authorization: 'Bearer ' + token() } });
    if (!response.ok) {
      const body = await response.json();
      throw new ApiError(body.error ? body.error.message : response.statusText);
    }
    const url = URL.createObjectURL(await response.blob());
    const a = element('a');
    a.href = url;
    a.download = 'safenet-audit.jsonl';
    document.body.appendChild(a);
    a.click();
    a.remove();
    URL.revokeObjectURL(url);
  } catch (e) {
    fail(e);
  }
}

async function explain(name) {
  const panel = document.getElementById('explain-result');
  try {
    const x = await get('/api/v1/explain?name=' + encodeURIComponent(name));
    panel.replaceChildren();
    panel.appendChild(element('h2', t('explain.title', { name: x.name })));
    const dl = element('dl');
    const rows = [['explain.decision', t('decision.' + x.decision)], ['col.category', x.category ? t('category.' + x.category) : '–'],
      ['col.source', x.source || '–'], ['col.action', x.action ? t('action.' + x.action) : '–'], ['explain.listVersion', x.listVersion]];
    if (x.entry) {
      rows.push(['col.name', x.entry.name + ' (' + t('match.' + x.entry.match) + ')'], ['col.reason', x.entry.reason]);
    }
    if (x.protected) {
      rows.push(['explain.protected', x.protected]);
    }
    for (const [k, v] of rows) {
      dl.appendChild(element('dt', t(k)));
      dl.appendChild(element('dd', v === null || v === undefined ? '–' : String(v)));
    }
    panel.appendChild(dl);
    for (const n of x.notes || []) {
      panel.appendChild(element('p', n));
    }
    panel.appendChild(button(t('close'), () => { panel.hidden = true; }));
    panel.hidden = false;
    panel.focus();
  } catch (e) {
    fail(e);
  }
}

// --- signing in and out ----------------------------------------------------------------------

function signedIn(yes) {
  document.getElementById('login').hidden = yes;
  document.getElementById('content').hidden = !yes;
  document.getElementById('nav').hidden = !yes;
  document.getElementById('logout').hidden = !yes;
  document.getElementById('explain-form').hidden = !yes;
  document.getElementById('footer').hidden = !yes;
}

function signOut(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  me = null;
  // Nothing of the last session stays on the page (a created token least of all).
  for (const id of ['explain-result', 'token-created', 'held-preview', 'source-history', 'upload-result', 'reload-result']) {
    document.getElementById(id).hidden = true;
  }
  setText('token-text', '');
  setText('notice', '');
  setText('error', '');
  if (timer !== null) {
    clearInterval(timer);
    timer = null;
  }
  signedIn(false);
  setText('who', '');
  setText('login-error', message || '');
}

async function signIn(candidate) {
  sessionStorage.setItem(TOKEN_KEY, candidate);
  try {
    me = await get('/api/v1/whoami');
  } catch (e) {
    if (e.message !== 'unauthorized') {
      signOut(t('login.unreachable', { message: e.message }));
    }
    return;
  }
  setText('login-error', '');
  setText('who', t('who', { name: me.name, role: t('role.' + me.role) }));
  setText('time-zone', me.timeZone);
  for (const select of document.querySelectorAll('select.categories')) {
    categoryOptions(select, 'scam');
  }
  signedIn(true);
  await show(view);
  timer = setInterval(() => {
    if (view === 'overview') {
      showOverview().catch(fail);
    }
  }, REFRESH_MS);
}

// --- wiring ----------------------------------------------------------------------------------

function onSubmit(id, handler) {
  document.getElementById(id).addEventListener('submit', event => {
    event.preventDefault();
    handler();
  });
}

document.addEventListener('DOMContentLoaded', async () => {
  await loadTexts(LANGUAGES.includes(lang) ? lang : 'vi');
  onSubmit('login-form', () => signIn(document.getElementById('token').value.trim()));
  document.getElementById('logout').addEventListener('click', () => signOut(''));
  document.getElementById('lang-toggle').addEventListener('click', async () => {
    await loadTexts(lang === 'vi' ? 'en' : 'vi');
    if (me) {
      setText('who', t('who', { name: me.name, role: t('role.' + me.role) }));
      for (const select of document.querySelectorAll('select.categories')) {
        categoryOptions(select, select.value);
      }
      await show(view);
    }
  });
  for (const b of document.querySelectorAll('#nav button')) {
    b.addEventListener('click', () => {
      say('');
      show(b.dataset.view);
    });
  }
  onSubmit('explain-form', () => explain(document.getElementById('explain-name').value.trim()));
  onSubmit('entry-search-form', () => showEntries().catch(fail));
  document.getElementById('entries-more').addEventListener('click', () => showEntries(true).catch(fail));
  onSubmit('entry-add-form', () => {
    const name = document.getElementById('entry-name').value.trim();
    const body = { name, category: document.getElementById('entry-category').value };
    const reason = document.getElementById('entry-reason').value.trim();
    if (reason) {
      body.reason = reason;
    }
    act(() => api('POST', '/api/v1/entries', body), t('done.added', { name })).then(done => {
      if (done) {
        document.getElementById('entry-name').value = ''; // kept after a refusal, to correct it
      }
    });
  });
  onSubmit('entry-upload-form', async () => {
    const file = document.getElementById('upload-file').files[0];
    const format = document.getElementById('upload-format').value;
    const category = document.getElementById('upload-category').value;
    try {
      const r = await api('POST', '/api/v1/entries/import?format=' + format + '&category=' + category,
        await file.arrayBuffer(), 'text/plain');
      const panel = document.getElementById('upload-result');
      panel.replaceChildren(element('p', t('upload.result', { file: file.name, added: number(r.added),
        updated: number(r.updated), unchanged: number(r.unchanged), invalid: number(r.invalid), refused: number(r.refused) })));
      const list = element('ul');
      for (const f of r.files) {
        for (const x of f.examples) {
          list.appendChild(element('li', x));
        }
      }
      for (const x of r.refusedSample) {
        list.appendChild(element('li', t('upload.refused', { what: x })));
      }
      panel.appendChild(list);
      panel.hidden = false;
      say(t('done.uploaded', { file: file.name }));
      await showEntries();
    } catch (e) {
      fail(e);
    }
  });
  onSubmit('allow-add-form', () => {
    const name = document.getElementById('allow-name').value.trim();
    const body = { name };
    const reason = document.getElementById('allow-reason').value.trim();
    if (reason) {
      body.reason = reason;
    }
    act(() => api('POST', '/api/v1/allowlist', body), t('done.allowed', { name }));
  });
  document.getElementById('appeal-status').addEventListener('change', () => showAppeals().catch(fail));
  document.getElementById('report-status').addEventListener('change', () => showReports().catch(fail));
  onSubmit('token-form', async () => {
    try {
      const created = await api('POST', '/api/v1/tokens', { name: document.getElementById('token-name').value.trim(),
        role: document.getElementById('token-role').value });
      setText('token-text', created.token);
      document.getElementById('token-created').hidden = false;
      say(t('done.tokenCreated', { name: created.name }));
      await showTokens();
    } catch (e) {
      fail(e);
    }
  });
  onSubmit('audit-form', () => showAudit().catch(fail));
  onSubmit('source-form', () => {
    const body = sourceBody();
    act(() => api('POST', '/api/v1/sources', body), t('done.sourceAdded', { name: body.name }));
  });
  onSubmit('policy-form', () => savePolicy().catch(fail));
  document.getElementById('reload-config').addEventListener('click', reloadConfig);
  onSubmit('logging-form', () => {
    const logger = document.getElementById('logging-logger').value.trim();
    const level = document.getElementById('logging-level').value;
    act(() => api('PUT', '/api/v1/logging/' + encodeURIComponent(logger), { level: level || null }), t('done.saved'));
  });
  document.getElementById('audit-export').addEventListener('click', exportAudit);
  if (token()) {
    signIn(token());
  } else {
    signedIn(false);
  }
});
