/**
 * The Setup page (src/admin/pages/setup.ts): where the configuration lives, the bots with the
 * "add a bot" form, each portal's install addresses, state and line with the "choose the line"
 * form. A form's result is a notice above its form: paragraphs and blocks to copy (`pre`).
 * The bot's token field is never filled back in.
 */
const NOTICE = `<% if (n) { %><div class="notice<%= n.bad ? ' bad' : '' %>" role="status">
<% for (const b of n.blocks) { %><% if (b.pre !== undefined) { %><pre><%= b.pre %></pre>
<% } else if (b.list) { %><ul class="small"><% for (const item of b.list) { %><li><%= item %></li><% } %></ul>
<% } else { %><p><%= b.text %></p>
<% } %><% } %></div><% } %>`;

export const SETUP_VIEW = `<p class="muted"><%= it.t('Здесь добавляют ботов MAX, устанавливают приложение на портал Битрикс24 и выбирают открытую линию. Всё, что меняется, записывается туда, где живут настройки моста.', 'Add MAX bots, install the app on a Bitrix24 portal and choose the Open Line here. What changes is written where the bridge\\'s configuration lives.') %></p>

<h2><%= it.t('Где настройки', 'Where the configuration lives') %></h2>
<p><span class="badge <%= it.place.cls %>"><%= it.place.badge %></span> <%= it.place.text %></p>
<% if (!it.canEdit) { %><p class="muted small"><%= it.t('Изменения с этой страницы недоступны: мост запущен без них.', 'Changes from this page are not available in this bridge.') %></p><% } %>

<h2 id="bots"><%= it.t('Боты MAX', 'MAX bots') %></h2>
<% if (it.bots.length === 0) { %><p class="muted"><%= it.t('Боты ещё не настроены.', 'No bots configured yet.') %></p><% } else { %>
<table>
<thead><tr><th><%= it.t('Бот', 'Bot') %></th><th><%= it.t('Как приходят обновления', 'How updates arrive') %></th><th><%= it.t('Токен', 'Token') %></th></tr></thead>
<tbody>
<% for (const b of it.bots) { %><tr>
  <td><code><%= b.id %></code></td>
  <td><%= b.updates %></td>
  <td><span class="badge <%= b.state.cls %>"><%= b.state.badge %></span><% if (b.state.text) { %> <span class="small"><%= b.state.text %></span><% } %></td>
</tr>
<% } %></tbody>
</table>
<% } %>

<h3><%= it.t('Добавить бота', 'Add a bot') %></h3>
<% { const n = it.botNotice; %>${NOTICE}<% } %>
<% if (it.canEdit) { %>
<form method="post" action="/admin/ui/setup#bots" autocomplete="off">
  <input type="hidden" name="_csrf" value="<%= it.csrfToken %>">
  <input type="hidden" name="action" value="add-bot">
  <label for="bot-id"><%= it.t('Идентификатор бота в мосте', 'Bot id in the bridge') %></label>
  <input id="bot-id" name="bot_id" value="<%= it.form.id %>" required maxlength="63" placeholder="support">
  <div class="muted small"><%= it.t('Строчные латинские буквы, цифры, «-» и «_»; им бот называется в маршрутах и журнале.', 'Lowercase letters, digits, "-" and "_"; routes and the journal name the bot by it.') %></div>
  <label for="bot-token"><%= it.t('Токен бота', 'Bot token') %></label>
  <input id="bot-token" name="token" type="password" required minlength="10" autocomplete="off" spellcheck="false" size="60">
  <div class="muted small"><%= it.t('Платформа MAX для партнёров → ваш бот → «Интеграция» → токен. Мост проверит его в MAX и не покажет снова.', 'MAX partner platform → your bot → Integration → token. The bridge checks it with MAX and never shows it again.') %></div>
  <label for="bot-updates"><%= it.t('Как получать обновления', 'How to get updates') %></label>
  <select id="bot-updates" name="updates">
    <option value="webhook"<% if (it.form.updates === 'webhook') { %> selected<% } %>><%= it.t('вебхук (MAX присылает на PUBLIC_URL)', 'webhook (MAX posts to PUBLIC_URL)') %></option>
    <option value="polling"<% if (it.form.updates === 'polling') { %> selected<% } %>><%= it.t('опрос (мост сам спрашивает MAX)', 'polling (the bridge asks MAX)') %></option>
  </select>
  <p><button type="submit"><%= it.t('Проверить токен и добавить', 'Check the token and add') %></button></p>
</form>
<% } %>

<h2 id="portals"><%= it.t('Порталы Битрикс24', 'Bitrix24 portals') %></h2>
<% { const n = it.portalNotice; %>${NOTICE}<% } %>
<% if (it.portals.length === 0) { %><p class="muted"><%= it.t('Порталы не настроены: добавьте портал (portals или BITRIX24_CLIENT_ID и BITRIX24_CLIENT_SECRET), затем вернитесь сюда за адресом установки.', 'No portals configured: add one (portals, or BITRIX24_CLIENT_ID and BITRIX24_CLIENT_SECRET), then come back for its install address.') %></p><% } %>
<% for (const p of it.portals) { %>
<h3><%= it.t('Портал', 'Portal') %> <code><%= p.id %></code><% if (p.url) { %> <span class="muted small"><%= p.url %></span><% } %></h3>
<p><span class="badge <%= p.installed.cls %>"><%= p.installed.badge %></span> <%= p.installed.text %></p>
<p class="small"><%= it.t('Установка: Битрикс24 → «Разработчикам» → «Другое» → «Локальное приложение», «использует только API». Укажите:', 'To install: Bitrix24 → Developer resources → Other → Local application, "uses API only". Give it:') %></p>
<table class="small">
<tbody>
  <tr><th><%= it.t('Путь вашего обработчика', 'Your handler path') %></th><td><code><%= p.installUrl %></code></td></tr>
  <tr><th><%= it.t('Путь для первоначальной установки', 'Initial installation path') %></th><td><code><%= p.installUrl %></code></td></tr>
  <tr><th><%= it.t('Права доступа', 'Scopes') %></th><td><code><%= it.scopes %></code></td></tr>
</tbody>
</table>
<p class="muted small"><%= it.t('client_id и client_secret приложения должны быть в настройках портала до установки (client_secret эта страница не показывает).', 'The app\\'s client_id and client_secret must be in the portal\\'s configuration before the install (this page never shows client_secret).') %></p>
<p><%= p.lineText %></p>
<% if (p.linesError) { %><p class="muted"><%= p.linesError %></p><% } %>
<% if (p.lines.length > 0) { %>
<table>
<thead><tr><th class="num"><%= it.t('Линия', 'Line') %></th><th><%= it.t('Название', 'Name') %></th><th><%= it.t('В Битрикс24', 'In Bitrix24') %></th><th><%= it.t('Коннектор MAX', 'MAX connector') %></th></tr></thead>
<tbody>
<% for (const l of p.lines) { %><tr>
  <td class="num"><%= l.id %></td><td><%= l.name %></td>
  <td><span class="badge <%= l.active ? 'ok' : 'warn' %>"><%= l.active ? it.t('включена', 'on') : it.t('выключена', 'off') %></span></td>
  <td><% if (l.connected) { %><span class="badge ok"><%= it.t('подключён', 'connected') %></span><% } else { %><span class="muted">—</span><% } %></td>
</tr>
<% } %></tbody>
</table>
<% if (it.canEdit) { %>
<form method="post" action="/admin/ui/setup#portals" class="filters">
  <input type="hidden" name="_csrf" value="<%= it.csrfToken %>">
  <input type="hidden" name="action" value="choose-line">
  <input type="hidden" name="portal" value="<%= p.id %>">
  <div><label for="line-<%= p.id %>"><%= it.t('Линия для клиентов MAX', 'The line for MAX clients') %></label>
  <select id="line-<%= p.id %>" name="line">
<% for (const l of p.lines) { %>    <option value="<%= l.id %>"<% if (l.id === p.currentLineId) { %> selected<% } %>><%= l.id %> — <%= l.name %></option>
<% } %>  </select></div>
  <div><button type="submit"><%= it.t('Подключить линию', 'Connect the line') %></button></div>
</form>
<% } %>
<% } %>
<% } %>
`;
