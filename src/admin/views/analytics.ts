/**
 * Analytics (src/admin/pages/analytics.ts): the period and cut picker (a GET form), the summary
 * cards, three charts (drawn by /admin/assets/analytics.js from the JSON island), and the tables
 * by the chosen cut, by day and by hour. Every figure of the charts is in a table too.
 */
export const ANALYTICS_VIEW = `<form class="filters" method="get" action="/admin/ui/analytics" id="analytics-form">
  <div><label for="period"><%= it.t('Период', 'Period') %></label>
  <select id="period" name="period">
<% for (const p of it.periods) { %>    <option value="<%= p.value %>"<% if (p.value === it.form.period) { %> selected<% } %>><%= p.label %></option>
<% } %>  </select></div>
  <div><label for="from"><%= it.t('С (для «свой период»)', 'From (custom period)') %></label><input type="date" id="from" name="from" value="<%= it.form.from %>"></div>
  <div><label for="to"><%= it.t('По (включительно)', 'To (inclusive)') %></label><input type="date" id="to" name="to" value="<%= it.form.to %>"></div>
  <div><label for="by"><%= it.t('Разрез', 'Cut') %></label>
  <select id="by" name="by">
<% for (const d of it.dimensions) { %>    <option value="<%= d.value %>"<% if (d.value === it.form.by) { %> selected<% } %>><%= d.label %></option>
<% } %>  </select></div>
  <div><button type="submit" id="analytics-show"><%= it.t('Показать', 'Show') %></button></div>
</form>
<% if (it.problems.length > 0) { %><div class="notice bad" role="alert" id="analytics-problems"><%= it.t('Запрос не понят:', 'The request was not understood:') %>
<ul class="plain"><% for (const p of it.problems) { %><li><%= p %></li><% } %></ul></div><% } %>
<% if (it.report) { %>
<p class="muted small" id="analytics-period"><%= it.report.periodText %><br><%= it.report.settingsText %></p>
<div class="cards" id="analytics-summary">
<% for (const c of it.report.cards) { %>  <div class="card" data-figure="<%= c.key %>"><div class="muted small"><%= c.label %></div><div class="big"><%= c.big %></div><div class="small muted"><%= c.detail %></div></div>
<% } %></div>

<link rel="stylesheet" href="<%= it.assets.uplotCss %>">
<noscript><p class="muted"><%= it.t('Графики рисуются JavaScript; те же цифры — в таблицах ниже.', 'The charts need JavaScript; the tables below carry the same figures.') %></p></noscript>
<h2><%= it.t('Сообщения клиентов и ответы операторов по дням', 'Client messages and operator replies by day') %></h2>
<div class="chart" id="chart-volume-days"></div>
<h2><%= it.t('Время ответа по дням, минуты', 'Response time by day, minutes') %></h2>
<div class="chart" id="chart-response-days"></div>
<h2><%= it.t('Сообщения по часам суток', 'Messages by hour of day') %> <span class="muted small">(<%= it.report.timeZone %>)</span></h2>
<div class="chart" id="chart-volume-hours"></div>
<script type="application/json" id="analytics-data"><%~ it.report.chartJson %></script>
<script src="<%= it.assets.uplotJs %>" defer></script>
<script src="<%= it.assets.chartsJs %>" defer></script>

<% for (const table of it.report.tables) { %>
<h2><%= table.title %></h2>
<% if (table.note) { %><p class="muted small"><%= table.note %></p><% } %>
<% if (table.rows.length === 0) { %><p class="muted"><%= it.t('За период данных нет.', 'Nothing in this period.') %></p><% } else { %>
<table id="<%= table.id %>">
<thead><tr><th><%= table.dimensionName %></th><% for (const c of it.report.columns) { %><th class="num"><%= c %></th><% } %></tr></thead>
<tbody>
<% for (const r of table.rows) { %><tr><td class="nowrap"><%= r.label %></td><% for (const cell of r.cells) { %><td class="num nowrap"><%= cell %></td><% } %></tr>
<% } %></tbody>
<tfoot><tr><th><%= it.t('Итого', 'Total') %></th><% for (const cell of it.report.totalCells) { %><th class="num nowrap"><%= cell %></th><% } %></tr></tfoot>
</table>
<% } %>
<% } %>
<p class="muted small"><%= it.t('Как считается каждая цифра — docs/analytics.md; то же из командной строки: npm run bridge -- report.', 'What each figure means: docs/analytics.md; the same from the command line: npm run bridge -- report.') %></p>
<% } %>
`;
