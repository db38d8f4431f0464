/** The list of conversations (src/admin/pages/conversations.ts): filters, the table, paging. */
export const CONVERSATIONS_VIEW = `<% if (it.refreshSeconds > 0) { %><meta http-equiv="refresh" content="<%= it.refreshSeconds %>">
<% } %><% if (it.maskNote) { %><p class="notice"><%= it.maskNote %></p>
<% } %><% for (const p of it.problems) { %><p class="notice bad"><%= p %></p>
<% } %><form method="get" action="<%= it.action %>" class="filters" id="conversation-filters">
<% for (const f of it.selects) { %>  <div><label for="f-<%= f.name %>"><%= f.label %></label><select id="f-<%= f.name %>" name="<%= f.name %>">
    <option value=""><%= it.w.any %></option>
<% for (const o of f.options) { %>    <option value="<%= o.value %>"<% if (o.selected) { %> selected<% } %>><%= o.label %></option>
<% } %>  </select></div>
<% } %>  <div><label for="f-q"><%= it.w.client %></label><input id="f-q" name="q" value="<%= it.q %>" placeholder="<%= it.w.searchHint %>" size="26"></div>
<% if (it.refreshSeconds === 0) { %>  <input type="hidden" name="refresh" value="0">
<% } %>  <div><button type="submit"><%= it.w.show %></button> <a href="<%= it.action %>"><%= it.w.reset %></a></div>
</form>
<p class="muted small"><%= it.refreshNote %> <a href="<%= it.refreshToggle.href %>"><%= it.refreshToggle.label %></a></p>
<% if (it.rows.length === 0) { %><p class="muted"><%= it.w.none %></p>
<% } else { %><table class="conversations">
<thead><tr><th><%= it.w.client %></th><th><%= it.w.bot %></th><th><%= it.w.route %></th><th><%= it.w.line %></th><th><%= it.w.portal %></th><th><%= it.w.state %></th><th><%= it.w.last %></th></tr></thead>
<tbody>
<% for (const r of it.rows) { %><tr data-conversation="<%= r.id %>">
  <td><a href="<%= r.href %>" class="client-name"><%= r.name %></a><div class="small"><span class="client-phone"><%= r.phone %></span></div><div class="small muted"><code><%= r.id %></code><% if (r.userId) { %> · MAX <%= r.userId %><% } %></div><% if (r.tags.length > 0) { %><div class="small"><% for (const tag of r.tags) { %><span class="badge"><%= tag %></span> <% } %></div><% } %></td>
  <td><%= r.bot %></td>
  <td><%= r.route %></td>
  <td><%= r.line %></td>
  <td><%= r.portal %></td>
  <td><span class="badge <%= r.stateClass %>"><%= r.stateLabel %></span></td>
  <td><% if (r.last) { %><div class="small muted"><%= r.last.arrow %> <%= r.last.at %> (<%= r.last.ago %>)</div><div class="excerpt"><%= r.last.excerpt %></div><% } else { %><span class="muted">—</span><% } %></td>
</tr>
<% } %></tbody>
</table>
<% } %><nav class="pager"><% if (it.prev) { %><a href="<%= it.prev %>">← <%= it.w.prev %></a> <% } %><span class="muted"><%= it.pageLabel %></span><% if (it.next) { %> <a href="<%= it.next %>"><%= it.w.next %> →</a><% } %></nav>
`;
