/** Diagnostics (src/admin/pages/doctor.ts): the last run of `doctor`'s checks, and a button to run them now. */
export const DOCTOR_VIEW = `<p class="muted"><%= it.t('Те же проверки, что у команды npm run bridge -- doctor: конфигурация, база данных и миграции, токены ботов MAX, сертификаты API MAX, доступность PUBLIC_URL по HTTPS на 443, подписки ботов, установка приложения и ключи порталов, коннекторы на линиях, часы. Проверка обращается к MAX и Битрикс24 и занимает до нескольких десятков секунд.', 'The checks of npm run bridge -- doctor: the configuration, the database and its migrations, the MAX bots\\' tokens, the MAX API\\'s certificates, PUBLIC_URL over HTTPS on 443, the bots\\' subscriptions, the app\\'s install and tokens on each portal, the lines\\' connectors, the clock. It calls MAX and Bitrix24 and takes up to a few tens of seconds.') %></p>
<% if (it.canRun) { %><form method="post" action="/admin/ui/doctor" class="filters">
  <input type="hidden" name="_csrf" value="<%= it.csrfToken %>"><input type="hidden" name="action" value="run">
  <button type="submit" id="run-doctor"><%= it.t('Запустить проверку', 'Run the checks') %></button>
</form><% } else if (it.runnable) { %><p class="muted"><%= it.t('Запустить проверку может администратор.', 'An administrator can run the checks.') %></p><% } else { %><p class="muted"><%= it.t('Этот процесс не может запустить проверку отсюда: выполните npm run bridge -- doctor.', 'This process cannot run the checks from here: run npm run bridge -- doctor.') %></p><% } %>
<% if (!it.last) { %><p class="muted" id="doctor-none"><%= it.t('Проверка ещё не запускалась.', 'The checks have not been run yet.') %></p><% } else { %>
<h2><%= it.t('Результат', 'Result') %>: <span class="badge <%= it.last.overallClass %>" id="doctor-status"><%= it.last.overallText %></span></h2>
<p class="muted small"><%= it.last.when %> · <%= it.last.by %> · <%= it.last.duration %> · <%= it.last.totals %></p>
<table id="doctor-results">
<thead><tr><th><%= it.t('Итог', 'Status') %></th><th><%= it.t('Проверка', 'Check') %></th><th><%= it.t('Что проверено', 'Subject') %></th><th><%= it.t('Что найдено и что сделать', 'Finding and fix') %></th></tr></thead>
<tbody>
<% for (const r of it.last.results) { %><tr data-check="<%= r.id %>" data-status="<%= r.status %>">
  <td><span class="badge <%= r.cls %>"><%= r.mark %> <%= r.label %></span></td>
  <td><code><%= r.id %></code></td>
  <td class="small"><%= r.subject %></td>
  <td><div><%= r.problem %></div><% if (r.fix) { %><div class="muted small"><%= it.t('Что сделать: ', 'What to do: ') %><%= r.fix %></div><% } %></td>
</tr>
<% } %></tbody>
</table>
<% } %>
`;
