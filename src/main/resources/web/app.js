'use strict';
// The status page: the cache's health at a glance, the run in flight live, and for admins the
// buttons to refresh. The token lives in this tab's sessionStorage and goes out only in the
// Authorization header (the progress stream is read with fetch: EventSource cannot send headers).
(() => {
  const KEY = 'bqmc.token';
  const EVENTS = '/api/v2/metadata-cache/runs/current/events';
  const VERDICTS = [
    ['fresh', '\u2713', 'fresh'], ['stale', '\u25F7', 'stale'],
    ['error', '\u2715', 'error'], ['never_fetched', '\u25CB', 'never fetched']];
  const $ = (id) => document.getElementById(id);
  let token = sessionStorage.getItem(KEY);
  let role = null;
  let status = null;
  let sortKey = 'table_id';
  let sortDir = 1;
  let stream = null;
  let run = null;

  async function api(path, method) {
    const r = await fetch(path, {method: method || 'GET', cache: 'no-store',
      headers: {Authorization: 'Bearer ' + token}});
    let body = null;
    try { body = await r.json(); } catch (notJson) { body = null; }
    return {status: r.status, body};
  }

  function detail(body) {
    if (!body || body.detail === undefined) return '';
    return typeof body.detail === 'string' ? body.detail : (body.detail.hint || JSON.stringify(body.detail));
  }

  function showSignin(message) {
    $('app').hidden = true;
    $('signin').hidden = false;
    $('signin-error').textContent = message || '';
    $('token').focus();
  }

  async function start() {
    if (!token) { showSignin(''); return; }
    const me = await api('/api/v2/metadata-cache/me');
    if (me.status === 401) {
      sessionStorage.removeItem(KEY);
      token = null;
      showSignin('Token refused: ' + detail(me.body));
      return;
    }
    if (me.status !== 200) { showSignin('The service answered ' + me.status + ': ' + detail(me.body)); return; }
    role = me.body.role;
    $('signin').hidden = true;
    $('app').hidden = false;
    $('whoami').textContent = 'Signed in as ' + me.body.user + ' (' + role + ')';
    document.body.classList.toggle('admin', role === 'admin');
    $('run-now').hidden = role !== 'admin';
    await load();
    follow();
  }

  async function load() {
    const r = await api('/api/v2/metadata-cache/status');
    if (r.status !== 200) { $('app-error').textContent = 'Status: HTTP ' + r.status + ' ' + detail(r.body); return; }
    $('app-error').textContent = '';
    status = r.body;
    $('server').textContent = 'Refreshed every ' + human(status.scheduler_interval_seconds) + ', fresh for '
      + human(status.fresh_threshold_seconds) + '.';
    renderCounts();
    renderTables();
    renderRuns(status.last_runs || []);
  }

  function renderCounts() {
    const list = $('counts');
    list.replaceChildren();
    for (const [verdict, symbol, label] of VERDICTS) {
      const n = status.tables.filter((t) => t.freshness === verdict).length;
      const li = document.createElement('li');
      li.className = 'v-' + verdict;
      li.dataset.verdict = verdict;
      const count = document.createElement('span');
      count.className = 'n';
      count.textContent = String(n);
      li.append(count, symbol + ' ' + label);
      list.append(li);
    }
  }

  function renderTables() {
    const verdict = $('verdict').value;
    const search = $('search').value.trim().toLowerCase();
    const now = Date.parse(status.server_time);
    const rows = status.tables
      .filter((t) => !verdict || t.freshness === verdict)
      .filter((t) => !search || t.table_id.toLowerCase().includes(search))
      .sort(compare);
    const body = $('tables').tBodies[0];
    body.replaceChildren();
    for (const t of rows) {
      const tr = document.createElement('tr');
      tr.dataset.tableId = t.table_id;
      const [, symbol, label] = VERDICTS.find((v) => v[0] === t.freshness) || [null, '?', t.freshness];
      tr.append(
        cell(t.table_id, 'id'),
        cell(symbol + ' ' + label, 'verdict ' + t.freshness),
        cell(t.rows === null ? '-' : Number(t.rows).toLocaleString('en-US'), 'num'),
        cell(t.size_bytes === null ? '-' : size(t.size_bytes), 'num'),
        cell(t.refreshed_at ? human(Math.max(0, Math.round((now - Date.parse(t.refreshed_at)) / 1000))) + ' ago' : 'never', 'num'),
        cell(t.error_msg || '', 'err'));
      if (role === 'admin') {
        const td = document.createElement('td');
        const b = document.createElement('button');
        b.type = 'button';
        b.className = 'row-refresh';
        b.textContent = 'Refresh';
        b.setAttribute('aria-label', 'Refresh ' + t.table_id);
        b.addEventListener('click', () => refreshOne(t.table_id, b));
        td.append(b);
        tr.append(td);
      }
      body.append(tr);
    }
    $('shown').textContent = rows.length + ' of ' + status.tables.length + ' tables shown';
  }

  function cell(text, className) {
    const td = document.createElement('td');
    td.textContent = text;
    if (className) td.className = className;
    return td;
  }

  function compare(a, b) {
    let x = a[sortKey];
    let y = b[sortKey];
    if (sortKey === 'refreshed_at') { x = x ? Date.parse(x) : 0; y = y ? Date.parse(y) : 0; }
    if (x === null || x === undefined) return 1;
    if (y === null || y === undefined) return -1;
    return (x < y ? -1 : x > y ? 1 : 0) * sortDir;
  }

  function renderRuns(runs) {
    const list = $('runs');
    list.replaceChildren();
    if (runs.length === 0) { list.append(item('No run yet.')); return; }
    for (const r of runs) {
      const who = r.triggered_by ? r.triggered_by + (r.caller ? ' by ' + r.caller : '') : r.trigger;
      list.append(item('Run ' + r.run_id + ' (' + who + '), ' + r.status + ' ' + r.finished_at + ': ' + r.total
        + ' tables, ' + r.succeeded + ' ok, ' + r.no_data + ' no data, ' + r.failed + ' failed in '
        + (r.duration_ms / 1000).toFixed(1) + ' s'));
    }
  }

  function item(text) {
    const li = document.createElement('li');
    li.textContent = text;
    return li;
  }

  async function runNow() {
    const button = $('run-now');
    button.disabled = true;
    $('app-error').textContent = '';
    try {
      const r = await api('/api/admin/run-bq-metadata-refresh', 'POST');
      if (r.status === 409) {
        $('app-error').textContent = 'A run is already in flight: ' + (r.body.detail.run_id || '');
      } else if (r.status !== 200) {
        $('app-error').textContent = 'Run: HTTP ' + r.status + ' ' + detail(r.body);
      }
      await load();
    } finally {
      button.disabled = false;
    }
  }

  async function refreshOne(id, button) {
    button.disabled = true;
    const r = await api('/api/v2/metadata-cache/refresh?table=' + encodeURIComponent(id), 'POST');
    if (r.status !== 200) $('app-error').textContent = 'Refresh ' + id + ': HTTP ' + r.status + ' ' + detail(r.body);
    await load();
  }

  async function follow() {
    if (stream || !token) return;
    stream = new AbortController();
    try {
      const r = await fetch(EVENTS, {cache: 'no-store', signal: stream.signal,
        headers: {Authorization: 'Bearer ' + token, Accept: 'text/event-stream'}});
      if (r.status === 200) {
        const reader = r.body.getReader();
        const decoder = new TextDecoder();
        let buffer = '';
        for (;;) {
          const {value, done} = await reader.read();
          if (done) break;
          buffer += decoder.decode(value, {stream: true});
          let end;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            onEvent(buffer.slice(0, end));
            buffer = buffer.slice(end + 2);
          }
        }
      }
    } catch (stopped) {
      // signed out, or the connection dropped: tried again below while signed in
    }
    stream = null;
    if (token) setTimeout(follow, 3000);
  }

  function onEvent(block) {
    let name = 'message';
    let data = '';
    for (const line of block.split('\n')) {
      if (line.startsWith('event:')) name = line.slice(6).trim();
      else if (line.startsWith('data:')) data += line.slice(5).trim();
    }
    if (!data) return;
    const d = JSON.parse(data);
    if (name === 'start') {
      run = {id: d.run_id, total: d.total, done: 0};
      progress();
    } else if (name === 'snapshot') {
      run = {id: d.run_id, total: d.total, done: d.done, ok: d.ok, noData: d.no_data, error: d.error,
        rate: d.rate, eta: d.eta_seconds};
      progress();
    } else if (name === 'row' && run && run.id === d.run_id) {
      run.done = Math.min(run.total, run.done + 1);
      progress();
    } else if (name === 'complete' && run && run.id === d.run_id) {
      run.done = run.total;
      progress(d);
      run = null;
      load();
    }
  }

  function progress(complete) {
    $('progress-box').hidden = false;
    $('progress-title').textContent = complete ? 'Last run' : 'Run in flight';
    const percent = run.total > 0 ? Math.floor(run.done * 100 / run.total) : 100;
    $('progress').value = percent;
    let text = 'Run ' + run.id + ': ' + run.done + ' of ' + run.total + ' tables (' + percent + '%)';
    if (complete) {
      text = 'Run ' + run.id + ' finished: ' + complete.succeeded + ' ok, ' + complete.no_data + ' no data, '
        + complete.failed + ' failed in ' + (complete.duration_ms / 1000).toFixed(1) + ' s (100%)';
    } else if (run.rate !== undefined) {
      text += ', ' + run.rate + ' a second' + (run.eta === null ? '' : ', about ' + human(run.eta) + ' left');
    }
    $('progress-text').textContent = text;
  }

  function human(seconds) {
    if (seconds === null || seconds === undefined) return '?';
    if (seconds < 60) return seconds + ' s';
    if (seconds < 3600) return Math.round(seconds / 60) + ' min';
    if (seconds < 86400) return Math.round(seconds / 3600) + ' h';
    return Math.round(seconds / 86400) + ' d';
  }

  function size(bytes) {
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
    let v = Number(bytes);
    let u = 0;
    while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
    return (u === 0 ? String(v) : v.toFixed(1)) + ' ' + units[u];
  }

  document.addEventListener('DOMContentLoaded', () => {
    $('token-form').addEventListener('submit', (e) => {
      e.preventDefault();
      token = $('token').value.trim();
      $('token').value = '';
      sessionStorage.setItem(KEY, token);
      start();
    });
    $('sign-out').addEventListener('click', () => {
      sessionStorage.removeItem(KEY);
      token = null;
      if (stream) stream.abort();
      showSignin('');
    });
    $('run-now').addEventListener('click', runNow);
    $('verdict').addEventListener('change', renderTables);
    $('search').addEventListener('input', renderTables);
    for (const b of document.querySelectorAll('th button')) {
      b.addEventListener('click', () => {
        const key = b.dataset.sort;
        sortDir = key === sortKey ? -sortDir : 1;
        sortKey = key;
        for (const th of document.querySelectorAll('th')) th.removeAttribute('aria-sort');
        b.parentElement.setAttribute('aria-sort', sortDir > 0 ? 'ascending' : 'descending');
        renderTables();
      });
    }
    start();
  });
})();
