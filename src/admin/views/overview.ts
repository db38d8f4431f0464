/** The overview (src/admin/pages/overview.ts): problems with their fixes, then bots, portals, lines, dead letters, recent errors. */
export const OVERVIEW_VIEW = `<div class="cards">
  <div class="card"><div class="muted small"><%= it.t('Состояние', 'State') %></div>
    <div class="big"><% if (it.problems.length === 0) { %><span class="badge ok"><%= it.t('всё работает', 'all good') %></span><% } else { %><span class="badge <%= it.problems.some((p) => p.severity === 'bad') ? 'bad' : 'warn' %>"><%= it.t('проблем: ', 'problems: ') %><%= it.problems.length %></span><% } %></div></div>
  <div class="card"><div class="muted small"><%= it.t('Ждут отправки в линии', 'Waiting for the lines') %></div><div class="big"><%= it.queued %></div></div>
  <div class="card"><div class="muted small"><%= it.t('Недоставленные задания', 'Dead letters') %></div><div class="big"><a href="/admin/ui/dead-letters"><%= it.deadLetters %></a></div></div>
  <div class="card"><div class="muted small"><%= it.t('Ошибок за 24 часа', 'Errors in 24 hours') %></div><div class="big"><%= it.errorsTotal %></div></div>
</div>

<h2><%= it.t('Проблемы', 'Problems') %></h2>
<% if (it.problems.length === 0) { %><p class="muted"><%= it.t('Проблем нет.', 'No problems.') %></p><% } else { %>
<ul class="problems">
<% for (const p of it.problems) { %>  <li class="<%= p.severity %>"><div><%= p.text %></div><% if (p.fix) { %><div class="fix"><%= it.t('Что сделать: ', 'What to do: ') %><%= p.fix %></div><% } %></li>
<% } %></ul>
<% } %>

<h2><%= it.t('Боты MAX', 'MAX bots') %></h2>
<% if (it.bots.length === 0) { %><p class="muted"><%= it.t('Боты не настроены (bots).', 'No bots configured (bots).') %></p><% } else { %>
<table>
<thead><tr><th><%= it.t('Бот', 'Bot') %></th><th><%= it.t('Состояние', 'State') %></th><th><%= it.t('Как приходят обновления', 'How updates arrive') %></th><th><%= it.t('Последнее обновление', 'Last update') %></th></tr></thead>
<tbody>
<% for (const b of it.bots) { %><tr>
  <td><code><%= b.id %></code></td>
  <td><% if (b.problem) { %><span class="badge bad"><%= it.t('проблема', 'problem') %></span> <span class="small"><%= b.problem %></span><% } else { %><span class="badge ok"><%= it.t('токен принят', 'token accepted') %></span><% } %></td>
  <td><%= b.updates %><% if (b.subscription) { %> — <span class="badge <%= b.subscription.ok ? 'ok' : 'warn' %>"><%= b.subscription.text %></span><% } %></td>
  <td><%= b.lastUpdate %></td>
</tr>
<% } %></tbody>
</table>
<% } %>

<h2><%= it.t('Порталы Битрикс24', 'Bitrix24 portals') %></h2>
<% if (it.portals.length === 0) { %><p class="muted"><%= it.t('Порталы не настроены (portals).', 'No portals configured (portals).') %></p><% } else { %>
<table>
<thead><tr><th><%= it.t('Портал', 'Portal') %></th><th><%= it.t('Приложение', 'App') %></th><th><%= it.t('Ключ доступа', 'Access token') %></th><th class="num"><%= it.t('Лимит запросов', 'Request limit') %></th><th><%= it.t('Состояние', 'State') %></th></tr></thead>
<tbody>
<% for (const p of it.portals) { %><tr>
  <td><code><%= p.id %></code><% if (p.domain) { %> <span class="muted small"><%= p.domain %></span><% } %></td>
  <td><span class="badge <%= p.installed.cls %>"><%= p.installed.text %></span></td>
  <td class="small"><%= p.token %></td>
  <td class="num"><%= p.limit %></td>
  <td><% if (p.problem) { %><span class="badge bad"><%= it.t('проблема', 'problem') %></span> <span class="small"><%= p.problem %></span><% } else { %><span class="badge ok"><%= it.t('работает', 'working') %></span><% } %></td>
</tr>
<% } %></tbody>
</table>
<% } %>

<h2><%= it.t('Линии', 'Lines') %></h2>
<% if (it.lines.length === 0) { %><p class="muted"><%= it.t('Линии ещё не подключены: они появятся после установки приложения на портале.', 'No lines yet: they appear once the app is installed on a portal.') %></p><% } else { %>
<table>
<thead><tr><th><%= it.t('Портал', 'Portal') %></th><th class="num"><%= it.t('Линия', 'Line') %></th><th><%= it.t('Коннектор', 'Connector') %></th><th class="num"><%= it.t('Ждут отправки', 'Waiting') %></th><th><%= it.t('Старейшее ждёт', 'Oldest waiting') %></th></tr></thead>
<tbody>
<% for (const l of it.lines) { %><tr>
  <td><code><%= l.portal %></code></td><td class="num"><%= l.line %></td>
  <td><% if (l.active) { %><span class="badge ok"><%= it.t('активен', 'active') %></span><% } else { %><span class="badge bad"><%= it.t('приостановлен', 'paused') %></span> <span class="small"><%= l.reason %></span><% } %></td>
  <td class="num"><%= l.pending %></td><td><%= l.oldest %></td>
</tr>
<% } %></tbody>
</table>
<% } %>

<h2><%= it.t('Ошибки за 24 часа', 'Errors in the last 24 hours') %></h2>
<% if (it.errors.length === 0) { %><p class="muted"><%= it.t('Ошибок в журнале нет.', 'No errors in the journal.') %></p><% } else { %>
<table>
<thead><tr><th><%= it.t('Сторона', 'Side') %></th><th><%= it.t('Код', 'Code') %></th><th class="num"><%= it.t('Сколько', 'Count') %></th><th><%= it.t('Последняя', 'Latest') %></th><th><%= it.t('Что сделать', 'What to do') %></th></tr></thead>
<tbody>
<% for (const e of it.errors) { %><tr>
  <td><%= e.side %></td><td><code><%= e.code %></code><div class="muted small"><%= e.endpoint %></div></td><td class="num"><%= e.count %></td>
  <td class="small"><%= e.last %></td><td class="small"><%= e.fix %></td>
</tr>
<% } %></tbody>
</table>
<% } %>

<h2 id="diagnostics"><%= it.t('Диагностика', 'Diagnostics') %></h2>
<p><% if (it.doctor) { %><%= it.t('Последняя проверка', 'Last run') %> <%= it.doctor.when %>: <span class="badge <%= it.doctor.cls %>"><%= it.doctor.text %></span>. <% } else { %><span class="muted"><%= it.t('Полная проверка (токены, сертификаты, доступность по HTTPS, подписки, коннекторы, миграции, часы) запускается по кнопке: она обращается к MAX и Битрикс24.', 'The full check (tokens, certificates, HTTPS reachability, subscriptions, connectors, migrations, clock) runs on demand: it calls MAX and Bitrix24.') %></span> <% } %><a href="/admin/ui/doctor" id="doctor-link"><%= it.t('Открыть диагностику', 'Open diagnostics') %></a></p>
`;
