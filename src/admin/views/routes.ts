/** The routes in force and the explain form (src/admin/pages/routes.ts). */
export const ROUTES_VIEW = `<p class="muted small"><%= it.intro %></p>
<% if (it.routes.length === 0) { %><p class="notice bad"><%= it.w.noRoutes %></p>
<% } else { %><table class="routes">
<thead><tr><th>№</th><th><%= it.w.name %></th><th><%= it.w.bots %></th><th><%= it.w.when %></th><th><%= it.w.to %></th><th><%= it.w.fallback %></th><th><%= it.w.extras %></th></tr></thead>
<tbody>
<% for (const r of it.routes) { %><tr id="route-<%= r.name %>">
  <td><%= r.position %></td><td><strong><%= r.name %></strong><% if (r.isDefault) { %> <span class="badge ok"><%= it.w.default %></span><% } %></td><td><%= r.bots %></td>
  <td><% if (r.conditions.length === 0) { %><span class="muted"><%= it.w.noConditions %></span><% } else { %><ul class="plain"><% for (const c of r.conditions) { %><li><code><%= c.key %></code>: <%= c.value %></li><% } %></ul><% } %></td>
  <td><ul class="plain"><% for (const t of r.targets) { %><li><%= t %></li><% } %></ul><% if (r.pick) { %><div class="small muted"><%= r.pick %></div><% } %></td>
  <td><%= r.fallback %></td><td class="small"><%= r.extras %></td>
</tr>
<% } %></tbody>
</table>
<% } %><h2 id="explain"><%= it.w.explainTitle %></h2>
<p class="muted small"><%= it.w.explainIntro %></p>
<form method="get" action="<%= it.action %>#explain" class="filters" id="explain-form">
  <input type="hidden" name="explain" value="1">
  <div><label for="x-bot"><%= it.w.bot %></label><select id="x-bot" name="bot">
<% for (const b of it.bots) { %>    <option value="<%= b.value %>"<% if (b.selected) { %> selected<% } %>><%= b.value %></option>
<% } %>  </select></div>
  <div><label for="x-text"><%= it.w.text %></label><input id="x-text" name="text" value="<%= it.form.text %>" size="28"></div>
  <div><label for="x-payload"><%= it.w.payload %></label><input id="x-payload" name="payload" value="<%= it.form.payload %>" size="16" placeholder="vip_42"></div>
  <div><label for="x-chat"><%= it.w.chatType %></label><select id="x-chat" name="chat_type">
<% for (const c of it.chatTypes) { %>    <option value="<%= c.value %>"<% if (c.selected) { %> selected<% } %>><%= c.label %></option>
<% } %>  </select></div>
  <div><label for="x-language"><%= it.w.language %></label><input id="x-language" name="language" value="<%= it.form.language %>" size="6" placeholder="ru"></div>
  <div><label for="x-at"><%= it.w.at %></label><input id="x-at" name="at" value="<%= it.form.at %>" size="18" placeholder="2026-12-03 20:00"></div>
  <div><label for="x-tags"><%= it.w.tags %></label><input id="x-tags" name="tags" value="<%= it.form.tags %>" size="16" placeholder="vip, gold"></div>
  <div><button type="submit"><%= it.w.explain %></button></div>
</form>
<% for (const p of it.problems) { %><p class="notice bad"><%= p %></p>
<% } %><% if (it.result) { %><div class="card explain-result" id="explain-result">
  <p><strong><%= it.result.headline %></strong></p>
<% if (it.result.target) { %>  <p><%= it.w.target %>: <%= it.result.target %><% if (it.result.via) { %> (<%= it.result.via %>)<% } %></p>
<% } %>  <ul class="why">
<% for (const line of it.result.why) { %>    <li><%= line %></li>
<% } %>  </ul>
</div>
<% } %>`;
