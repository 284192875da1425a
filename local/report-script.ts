/**
 * The page's style and its one small script: sorting, filtering, search and paging of the stream
 * table and the failures-and-deferrals table, from the JSON block `#report-data`. The script builds
 * cells with textContent only, so no value from the data is ever parsed as HTML.
 */

/** Status colours: one per report status, the tiles' and the table's. */
export const REPORT_CSS = `
body{font:14px/1.35 system-ui,sans-serif;margin:20px 24px;color:#1d2733;background:#f6f8fa}h1{font-size:22px;margin:0 0 6px}
h2{font-size:16px;margin:22px 0 8px}.meta{display:flex;gap:18px;flex-wrap:wrap;color:#444c56}.meta b{color:#1d2733}
.score{font-size:20px;font-weight:600}.note{color:#57606a;margin:6px 0}.cards{display:flex;gap:10px;flex-wrap:wrap}
.card{background:#fff;border:1px solid #d0d7de;border-left-width:6px;border-radius:8px;padding:8px 14px;min-width:110px}
.card .n{display:block;font-size:24px;font-weight:600}.card small{display:block;color:#57606a}
.st-COMPLIANT{border-left-color:#1a7f37}.st-NON_COMPLIANT{border-left-color:#cf222e}.st-BUSY{border-left-color:#bf8700}
.st-EXEMPT{border-left-color:#8250df}.st-NOT_APPLICABLE,.st-GONE,.st-UNKNOWN{border-left-color:#8c959f}.st-FALLBACK{border-left-color:#0969da}
.card.st-NON_COMPLIANT .n{color:#cf222e}.card.st-COMPLIANT .n{color:#1a7f37}
.pill{display:inline-block;padding:0 6px;border-radius:9px;font-size:12px;background:#eaeef2}
.pill.st-COMPLIANT{background:#dafbe1;color:#116329}.pill.st-NON_COMPLIANT{background:#ffebe9;color:#a40e26}.pill.st-BUSY{background:#fff8c5;color:#7d4e00}
.pill.st-EXEMPT{background:#fbefff;color:#6639ba}
table{border-collapse:collapse;background:#fff}td,th{border:1px solid #d0d7de;padding:3px 7px;text-align:left;white-space:nowrap}
th[data-sort]{cursor:pointer;user-select:none}th[aria-sort=ascending]::after{content:" \\25B2"}th[aria-sort=descending]::after{content:" \\25BC"}
td.key{max-width:170px;overflow:hidden;text-overflow:ellipsis}td.why{max-width:300px;overflow:hidden;text-overflow:ellipsis}
.num{text-align:right}.bar{display:inline-block;width:80px;height:8px;background:#eaeef2;vertical-align:middle;margin-left:6px}
.bar i{display:block;height:8px}.bar .green{background:#2da44e}.bar .amber{background:#d4a72c}.bar .red{background:#cf222e}
.controls{display:flex;gap:10px;align-items:center;margin:6px 0;flex-wrap:wrap}.controls input{width:240px}
.bad{background:#ffebe9}.status.good{color:#1a7f37}.status.bad{color:#cf222e}tr.place th{background:#eaeef2}
svg.timeline{background:#fff;border:1px solid #d0d7de;max-width:100%}svg text{font-size:11px;fill:#57606a}svg line{stroke:#eaeef2}
svg line.tick{stroke:#d0d7de;stroke-dasharray:2 3}svg circle{fill:#0969da;opacity:.7}
.side{display:flex;gap:24px;flex-wrap:wrap;align-items:flex-start}
`;

export const REPORT_SCRIPT = `
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('report-data').textContent);
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  function budgetCell(row) {
    var td = el('td', null, 'num');
    if (row.bt === null) { td.textContent = ''; return td; }
    td.appendChild(document.createTextNode(row.bo + '/' + data.share + ' ours, ' + row.bt + '/' + data.limit + ' all'));
    var bar = el('span', null, 'bar');
    var fill = el('i', null, row.level);
    fill.style.width = Math.min(100, Math.round((row.bt / data.limit) * 100)) + '%';
    bar.appendChild(fill);
    bar.title = row.level + ': ' + row.bt + ' of ' + data.limit + ' calls used';
    td.appendChild(bar);
    return td;
  }
  var streamColumns = [
    { key: 'a', cell: function (r) { return el('td', r.a); }, only: data.severalAccounts },
    { key: 'r', cell: function (r) { return el('td', r.r); } },
    { key: 'n', cell: function (r) { return el('td', r.n); } },
    { key: 's', cell: function (r) { var td = el('td'); td.appendChild(el('span', r.s, 'pill st-' + r.s)); return td; } },
    { key: 'k', cell: function (r) { var td = el('td', r.k, 'key'); td.title = r.k; return td; } },
    { key: 'f', cell: function (r) { return el('td', r.f === null ? '' : r.f ? 'yes' : 'no'); } },
    { key: 'o', cell: function (r) { var td = el('td', r.o + (r.why ? ' (' + r.why + ')' : ''), 'why'); td.title = td.textContent; return td; } },
    { key: 'bt', cell: budgetCell },
    { key: 'x', cell: function (r) { return el('td', r.x); }, only: data.hasExpectations }
  ].filter(function (c) { return c.only !== false; });
  var problemColumns = [
    { key: 't', cell: function (r) { return el('td', r.t); } },
    { key: 'a', cell: function (r) { return el('td', r.a); }, only: data.severalAccounts },
    { key: 'r', cell: function (r) { return el('td', r.r); } },
    { key: 'n', cell: function (r) { return el('td', r.n); } },
    { key: 'e', cell: function (r) { return el('td', r.e); } },
    { key: 'why', cell: function (r) { return el('td', r.why); } },
    { key: 'd', cell: function (r) { var td = el('td', r.d, 'why'); td.title = r.d; return td; } },
    { key: 'next', cell: function (r) { return el('td', r.next); } }
  ].filter(function (c) { return c.only !== false; });

  function pagedTable(id, rows, columns, pageSize, match) {
    var table = document.getElementById(id);
    var body = table.querySelector('tbody');
    var info = document.getElementById(id + '-page');
    var state = { sort: null, dir: 1, page: 0 };
    var shown = rows;
    function compare(key) {
      return function (a, b) {
        var x = a[key], y = b[key];
        if (typeof x === 'number' && typeof y === 'number') return (x - y) * state.dir;
        return String(x === null ? '' : x).localeCompare(String(y === null ? '' : y), undefined, { numeric: true }) * state.dir;
      };
    }
    function draw() {
      var pages = Math.max(1, Math.ceil(shown.length / pageSize));
      state.page = Math.min(state.page, pages - 1);
      var start = state.page * pageSize;
      var fragment = document.createDocumentFragment();
      shown.slice(start, start + pageSize).forEach(function (row) {
        var tr = el('tr', null, row.ok === false ? 'bad' : '');
        columns.forEach(function (c) { tr.appendChild(c.cell(row)); });
        fragment.appendChild(tr);
      });
      if (shown.length === 0) {
        var tr = el('tr');
        var td = el('td', rows.length === 0 ? 'None.' : 'No row matches.');
        td.colSpan = columns.length;
        tr.appendChild(td);
        fragment.appendChild(tr);
      }
      body.replaceChildren(fragment);
      info.textContent = shown.length === 0 ? '0 rows' : (start + 1) + '\\u2013' + Math.min(start + pageSize, shown.length) + ' of ' + shown.length +
        (shown.length === rows.length ? '' : ' (of ' + rows.length + ')') + ', page ' + (state.page + 1) + ' of ' + pages;
      table.dataset.rows = String(shown.length);
    }
    function refresh() {
      shown = rows.filter(match);
      if (state.sort) shown.sort(compare(state.sort));
      draw();
    }
    table.querySelectorAll('th[data-sort]').forEach(function (th) {
      th.addEventListener('click', function () {
        var key = th.getAttribute('data-sort');
        state.dir = state.sort === key ? -state.dir : 1;
        state.sort = key;
        table.querySelectorAll('th[data-sort]').forEach(function (o) { o.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', state.dir === 1 ? 'ascending' : 'descending');
        state.page = 0;
        refresh();
      });
    });
    document.getElementById(id + '-prev').addEventListener('click', function () { state.page = Math.max(0, state.page - 1); draw(); });
    document.getElementById(id + '-next').addEventListener('click', function () { state.page += 1; draw(); });
    return function () { state.page = 0; refresh(); };
  }

  var statusFilter = document.getElementById('status-filter');
  var fallbackFilter = document.getElementById('fallback-filter');
  var search = document.getElementById('search');
  function matchStream(row) {
    if (statusFilter.value && row.s !== statusFilter.value) return false;
    if (fallbackFilter.value && String(row.f) !== fallbackFilter.value) return false;
    var q = search.value.trim().toLowerCase();
    return !q || [row.a, row.r, row.n, row.k, row.o, row.why].join(' ').toLowerCase().indexOf(q) >= 0;
  }
  var refreshStreams = pagedTable('streams', data.streams, streamColumns, data.pageSize, matchStream);
  [statusFilter, fallbackFilter].forEach(function (s) { s.addEventListener('change', refreshStreams); });
  search.addEventListener('input', refreshStreams);
  document.querySelectorAll('.card[data-status]').forEach(function (card) {
    card.addEventListener('click', function () { statusFilter.value = card.getAttribute('data-status'); refreshStreams(); });
  });
  pagedTable('problems', data.problems, problemColumns, data.problemPageSize, function () { return true; })();
  refreshStreams();
})();
`;
