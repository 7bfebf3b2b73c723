// SafeNet DNS dashboard: reads the admin API with the token kept in session storage.
// No inline scripts (the Content-Security-Policy forbids them); Chart.js is served by the appliance.
'use strict';

const TOKEN_KEY = 'safenet-token';
const REFRESH_MS = 10000;
let seriesChart = null;
let timer = null;

function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

async function api(path) {
  const response = await fetch(path, { headers: { Authorization: 'Bearer ' + token() } });
  if (response.status === 401) {
    signOut('The token was refused; sign in again.');
    throw new Error('unauthorized');
  }
  const body = await response.json();
  if (!response.ok) {
    throw new Error(body.error ? body.error.message : response.statusText);
  }
  return body;
}

function number(n) {
  return n === null || n === undefined ? '–' : Number(n).toLocaleString();
}

function setText(id, text) {
  document.getElementById(id).textContent = text;
}

function fillTable(id, rows) {
  const tbody = document.querySelector('#' + id + ' tbody');
  tbody.replaceChildren();
  for (const cells of rows) {
    const tr = document.createElement('tr');
    for (const c of cells) {
      const td = document.createElement('td');
      td.textContent = c; // textContent only: names and reasons come from the outside world
      tr.appendChild(td);
    }
    tbody.appendChild(tr);
  }
}

function startOfToday() {
  const d = new Date();
  return d.getFullYear() + '-' + String(d.getMonth() + 1).padStart(2, '0') + '-' + String(d.getDate()).padStart(2, '0');
}

function startOfMonth() {
  const d = new Date();
  return d.getFullYear() + '-' + String(d.getMonth() + 1).padStart(2, '0') + '-01';
}

async function refresh() {
  try {
    const today = await api('/api/v1/stats?from=' + startOfToday());
    setText('queries', number(today.queries));
    setText('blocked', number(today.blocked));
    setText('protected', number(today.protectedClients));
    setText('clients', number(today.distinctClients));
    setText('enforced', number(today.list.entries));
    fillTable('by-category', Object.entries(today.blockedByCategory).map(([c, n]) =>
      [c, number(n), number(today.protectedClientsByCategory[c])]));
    const month = await api('/api/v1/stats?from=' + startOfMonth());
    setText('protected-month', number(month.protectedClients));

    const series = await api('/api/v1/stats/series?resolution=minute');
    drawSeries(series.points);

    const top = await api('/api/v1/stats/top?kind=blocked&limit=10');
    fillTable('top-blocked', top.items.map(i => [i.name, number(i.count)]));

    const sources = await api('/api/v1/sources');
    fillTable('sources', sources.items.map(s => [s.name, s.type, number(s.entries),
      s.state.lastAttempt || 'never', s.state.lastOutcome || '–', s.held ? 'held: ' + s.held.reason : '']));

    const appeals = await api('/api/v1/appeals?status=pending');
    fillTable('appeals', appeals.items.map(a => [a.time, a.host, a.reason]));
    setText('updated', new Date().toLocaleTimeString());
  } catch (e) {
    if (e.message !== 'unauthorized') {
      setText('updated', 'failed: ' + e.message);
    }
  }
}

function drawSeries(points) {
  const labels = points.map(p => new Date(p.start).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }));
  const queries = points.map(p => p.queries);
  const blocked = points.map(p => p.blocked);
  if (typeof Chart === 'undefined') {
    return; // the chart library did not load; the numbers above still show
  }
  if (seriesChart === null) {
    seriesChart = new Chart(document.getElementById('series-chart'), {
      type: 'line',
      data: {
        labels,
        datasets: [
          { label: 'Queries', data: queries, borderColor: '#0b3d61', tension: 0.2 },
          { label: 'Blocked', data: blocked, borderColor: '#c0392b', tension: 0.2 }
        ]
      },
      options: { animation: false, maintainAspectRatio: false, scales: { y: { beginAtZero: true } } }
    });
  } else {
    seriesChart.data.labels = labels;
    seriesChart.data.datasets[0].data = queries;
    seriesChart.data.datasets[1].data = blocked;
    seriesChart.update();
  }
}

function show(signedIn) {
  document.getElementById('login').hidden = signedIn;
  document.getElementById('dashboard').hidden = !signedIn;
  document.getElementById('logout').hidden = !signedIn;
}

function signOut(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  if (timer !== null) {
    clearInterval(timer);
    timer = null;
  }
  show(false);
  setText('login-error', message || '');
}

async function signIn(candidate) {
  sessionStorage.setItem(TOKEN_KEY, candidate);
  try {
    await api('/api/v1/stats?from=' + startOfToday());
  } catch (e) {
    if (e.message !== 'unauthorized') {
      signOut('Cannot reach the API: ' + e.message);
    }
    return;
  }
  setText('login-error', '');
  show(true);
  await refresh();
  timer = setInterval(refresh, REFRESH_MS);
}

document.addEventListener('DOMContentLoaded', () => {
  document.getElementById('login-form').addEventListener('submit', event => {
    event.preventDefault();
    signIn(document.getElementById('token').value.trim());
  });
  document.getElementById('logout').addEventListener('click', () => signOut(''));
  if (token()) {
    signIn(token());
  } else {
    show(false);
  }
});
