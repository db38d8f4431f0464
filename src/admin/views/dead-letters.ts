/** Dead letters (src/admin/pages/dead-letters.ts): the list, with replay one and replay all for admins. */
export const DEAD_LETTERS_VIEW = `<% if (it.notice) { %><p class="notice" role="status"><%= it.notice %></p><% } %>
<p class="muted"><%= it.t('Задания, которые не удалось выполнить: ошибка не исправится сама или попытки кончились. Повтор ставит задание в очередь под прежним номером — раньше более поздних сообщений того же диалога.', 'Jobs that failed for good: the error will not fix itself, or the attempts ran out. A replay queues the job again under its own id — before later messages of the same conversation.') %></p>
<form class="filters" method="get" action="/admin/ui/dead-letters">
  <div><label for="code"><%= it.t('Код ошибки', 'Error code') %></label>
  <select id="code" name="code"><option value=""><%= it.t('все', 'all') %></option>
<% for (const c of it.codes) { %>  <option value="<%= c %>"<% if (c === it.code) { %> selected<% } %>><%= c %></option>
<% } %></select></div>
  <div><button type="submit" class="secondary"><%= it.t('Показать', 'Show') %></button></div>
</form>
<% if (it.letters.length === 0) { %><p class="muted" id="no-dead-letters"><%= it.t('Недоставленных заданий нет.', 'No dead letters.') %></p><% } else { %>
<% if (it.canReplay) { %><form method="post" action="/admin/ui/dead-letters" class="filters">
  <input type="hidden" name="_csrf" value="<%= it.csrfToken %>"><input type="hidden" name="action" value="replay_all"><input type="hidden" name="code" value="<%= it.code %>">
  <button type="submit" id="replay-all"><%= it.code ? it.t('Повторить все с кодом ' + it.code, 'Replay all with code ' + it.code) : it.t('Повторить все', 'Replay all') %> (<%= it.letters.length %>)</button>
</form><% } %>
<table id="dead-letters">
<thead><tr><th class="num">№</th><th><%= it.t('Когда', 'When') %></th><th><%= it.t('Задание', 'Job') %></th><th><%= it.t('Диалог', 'Conversation') %></th><th><%= it.t('Ошибка', 'Error') %></th><% if (it.canReplay) { %><th></th><% } %></tr></thead>
<tbody>
<% for (const l of it.letters) { %><tr data-id="<%= l.id %>">
  <td class="num"><%= l.id %></td>
  <td class="small"><%= l.when %><div class="muted"><%= it.t('попыток: ', 'attempts: ') %><%= l.attempts %></div></td>
  <td><code><%= l.kind %></code></td>
  <td><% if (l.conversationHref) { %><a href="<%= l.conversationHref %>"><code><%= l.conversation %></code></a><% } else { %><code><%= l.conversation %></code><% } %></td>
  <td><code><%= l.code %></code><div class="small"><%= l.error %></div><div class="muted small"><%= it.t('Что сделать: ', 'What to do: ') %><%= l.fix %></div></td>
<% if (it.canReplay) { %>  <td><form class="inline" method="post" action="/admin/ui/dead-letters"><input type="hidden" name="_csrf" value="<%= it.csrfToken %>"><input type="hidden" name="action" value="replay"><input type="hidden" name="id" value="<%= l.id %>"><button type="submit"><%= it.t('Повторить', 'Replay') %></button></form></td>
<% } %></tr>
<% } %></tbody>
</table>
<% if (it.more) { %><p class="muted"><%= it.t('Показаны первые ' + it.letters.length + '.', 'The first ' + it.letters.length + ' are shown.') %></p><% } %>
<% } %>
`;
