/** The journal search (src/admin/pages/journal.ts): the form, the rows with their bodies, paging. */
export const JOURNAL_VIEW = `<% if (it.maskNote) { %><p class="notice"><%= it.maskNote %></p>
<% } %><% for (const p of it.problems) { %><p class="notice bad"><%= p %></p>
<% } %><form method="get" action="<%= it.action %>" class="filters" id="journal-filters">
<% for (const f of it.fields) { %>  <div><label for="j-<%= f.name %>"><%= f.label %></label><% if (f.options) { %><select id="j-<%= f.name %>" name="<%= f.name %>">
    <option value=""><%= it.w.any %></option>
<% for (const o of f.options) { %>    <option value="<%= o.value %>"<% if (o.selected) { %> selected<% } %>><%= o.label %></option>
<% } %>  </select><% } else { %><input id="j-<%= f.name %>" name="<%= f.name %>" type="<%= f.type %>" value="<%= f.value %>" placeholder="<%= f.placeholder %>" size="<%= f.size %>"<% if (f.step) { %> step="<%= f.step %>"<% } %>><% } %></div>
<% } %>  <div><button type="submit"><%= it.w.search %></button> <a href="<%= it.action %>"><%= it.w.reset %></a></div>
</form>
<p class="muted small"><%= it.timeNote %></p>
<% if (it.rows.length === 0) { %><p class="muted"><%= it.w.none %></p>
<% } else { %><table class="journal">
<thead><tr><th>№</th><th><%= it.w.time %></th><th><%= it.w.side %></th><th><%= it.w.endpoint %></th><th><%= it.w.status %></th><th class="num"><%= it.w.ms %></th><th><%= it.w.code %></th><th><%= it.w.ids %></th></tr></thead>
<tbody>
<% for (const r of it.rows) { %><tr id="row-<%= r.id %>"<% if (r.failed) { %> class="failed"<% } %>>
  <td><%= r.id %></td><td class="nowrap"><%= r.at %></td><td class="nowrap"><%= r.side %></td>
  <td><code><% if (r.method) { %><%= r.method %> <% } %><%= r.endpoint %></code>
    <details><summary><%= it.w.bodies %></summary><div class="small muted"><%= it.w.request %></div><pre><%= r.request %></pre><div class="small muted"><%= it.w.response %></div><pre><%= r.response %></pre></details></td>
  <td><%= r.status %></td><td class="num"><%= r.ms %></td><td><% if (r.code) { %><code><%= r.code %></code><% } %></td>
  <td class="small"><% if (r.conversation) { %><a href="<%= r.conversation.href %>"><%= r.conversation.id %></a><br><% } %><% if (r.refs > 0) { %><%= r.refsLabel %>: <%= r.refs %><br><% } %><% for (const x of r.ids) { %><%= x %><br><% } %></td>
</tr>
<% } %></tbody>
</table>
<% } %><nav class="pager"><% if (it.first) { %><a href="<%= it.first %>">⇤ <%= it.w.first %></a> <% } %><% if (it.next) { %><a href="<%= it.next %>"><%= it.w.next %> →</a><% } %></nav>
`;
