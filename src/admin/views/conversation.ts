/**
 * One conversation (src/admin/pages/conversation.ts): who and where, the route and why, tags,
 * checks and gate, CRM links, the administrator's actions, the trail (messages both ways with
 * their delivery, every hop with its bodies) and who looked at it.
 */
export const CONVERSATION_VIEW = `<% for (const n of it.notices) { %><p class="notice<% if (n.bad) { %> bad<% } %>"><%= n.text %></p>
<% } %><% if (it.maskNote) { %><p class="notice"><%= it.maskNote %></p>
<% } %><p><a href="<%= it.listHref %>">← <%= it.w.back %></a></p>
<dl class="facts">
<% for (const f of it.facts) { %>  <dt><%= f.label %></dt><dd<% if (f.cls) { %> class="<%= f.cls %>"<% } %>><%= f.value %></dd>
<% } %></dl>
<h2><%= it.w.routeTitle %></h2>
<% if (it.why.length > 0) { %><ul class="why">
<% for (const line of it.why) { %>  <li><%= line %></li>
<% } %></ul>
<% } else { %><p class="muted"><%= it.w.noWhy %></p>
<% } %><% if (it.canAct) { %><form method="post" action="<%= it.self %>" class="filters">
  <input type="hidden" name="_csrf" value="<%= it.csrfToken %>"><input type="hidden" name="action" value="move">
  <div><label for="move-route"><%= it.w.moveTo %></label><select id="move-route" name="route">
<% for (const r of it.routeNames) { %>    <option value="<%= r %>"<% if (r === it.currentRoute) { %> selected<% } %>><%= r %></option>
<% } %>  </select></div>
  <div><button type="submit"><%= it.w.move %></button></div>
</form>
<% } %><h2><%= it.w.checksTitle %></h2>
<p><%= it.w.tags %>: <% if (it.tags.length === 0) { %><span class="muted">—</span><% } %><% for (const tag of it.tags) { %><span class="badge"><%= tag %></span> <% } %></p>
<% if (it.gate) { %><p class="notice<% if (it.gate.block) { %> bad<% } %>" id="gate"><%= it.gate.text %></p>
<% } %><% if (it.canAct) { %><div class="actions">
<% if (it.gate) { %>  <form method="post" action="<%= it.self %>" class="inline"><input type="hidden" name="_csrf" value="<%= it.csrfToken %>"><input type="hidden" name="action" value="release"><input name="note" placeholder="<%= it.w.note %>" size="24"> <button type="submit"><%= it.w.release %></button></form>
<% } %><% if (!it.gate || !it.gate.block) { %>  <form method="post" action="<%= it.self %>" class="inline"><input type="hidden" name="_csrf" value="<%= it.csrfToken %>"><input type="hidden" name="action" value="block"><input name="note" placeholder="<%= it.w.note %>" size="24"> <button type="submit" class="secondary"><%= it.w.block %></button></form>
<% } %></div>
<% } %><% if (it.verdicts.length > 0) { %><table class="verdicts">
<thead><tr><th><%= it.w.time %></th><th><%= it.w.check %></th><th><%= it.w.verdict %></th><th><%= it.w.source %></th><th><%= it.w.route %></th><th><%= it.w.tags %></th><th><%= it.w.note %></th></tr></thead>
<tbody>
<% for (const v of it.verdicts) { %><tr><td class="nowrap"><%= v.at %></td><td><%= v.check %></td><td><span class="badge <%= v.cls %>"><%= v.verdict %></span></td><td><%= v.source %></td><td><%= v.route %></td><td><%= v.tags %></td><td><%= v.note %></td></tr>
<% } %></tbody>
</table>
<% } else { %><p class="muted"><%= it.w.noVerdicts %></p>
<% } %><h2><%= it.w.crmTitle %></h2>
<% if (it.crm.length > 0) { %><table class="crm">
<thead><tr><th><%= it.w.session %></th><th><%= it.w.portal %></th><th><%= it.w.mode %></th><th><%= it.w.state %></th><th><%= it.w.crmItems %></th><th><%= it.w.how %></th><th><%= it.w.time %></th></tr></thead>
<tbody>
<% for (const c of it.crm) { %><tr><td><%= c.session %></td><td><%= c.portal %></td><td><%= c.mode %></td><td><%= c.state %></td><td><% for (const link of c.items) { %><% if (link.href) { %><a href="<%= link.href %>" rel="noreferrer" target="_blank"><%= link.label %></a><% } else { %><%= link.label %><% } %> <% } %></td><td><%= c.how %></td><td class="nowrap"><%= c.at %></td></tr>
<% } %></tbody>
</table>
<% } else { %><p class="muted"><%= it.w.noCrm %></p>
<% } %><h2><%= it.w.dialogueTitle %></h2>
<table class="summary"><tbody>
<% for (const s of it.summary) { %><tr><th><%= s.label %></th><td><%= s.value %></td></tr>
<% } %></tbody></table>
<% if (it.messages.length === 0) { %><p class="muted"><%= it.w.noMessages %></p>
<% } else { %><div class="dialogue">
<% for (const m of it.messages) { %><div class="bubble <%= m.side %>">
  <div class="who"><%= m.who %> · <code><%= m.id %></code><% if (m.marks) { %> · <%= m.marks %><% } %></div>
<% if (m.text === null) { %>  <div class="text empty"><%= it.w.noText %></div>
<% } else { %>  <div class="text"><%= m.text %></div>
<% } %>  <div class="meta"><%= m.times %> · <span class="outcome-<%= m.outcome %>"><%= m.outcomeText %></span></div>
  <div class="meta"><%= it.w.rows %>: <% for (const h of m.hops) { %><a href="#hop-<%= h %>"><%= h %></a> <% } %></div>
</div>
<% } %></div>
<% } %><h2><%= it.w.hopsTitle %></h2>
<p class="muted small"><%= it.hopsNote %></p>
<div class="scroll"><table class="hops">
<thead><tr><th>№</th><th><%= it.w.time %></th><th><%= it.w.direction %></th><th><%= it.w.what %></th><th><%= it.w.status %></th><th><%= it.w.text %></th><th><%= it.w.answer %></th></tr></thead>
<tbody>
<% for (const h of it.hops) { %><tr id="hop-<%= h.id %>"<% if (h.cls) { %> class="<%= h.cls %>"<% } %>><td class="nowrap"><%= h.id %></td><td><%= h.at %></td><td><%= h.route %><div class="small muted"><%= h.actor %></div></td>
  <td><%= h.what %><div class="small"><code><%= h.endpoint %></code></div><% if (h.code) { %><div class="small"><code><%= h.code %></code></div><% } %><% if (h.ids) { %><div class="small muted ids"><%= h.ids %></div><% } %></td>
  <td class="nowrap"><%= h.status %><div class="small muted"><%= h.ms %> <%= it.w.ms %></div></td>
  <td class="text"><%= h.text %></td>
  <td class="answer"><%= h.answer %><details><summary><%= it.w.bodies %></summary><div class="small muted"><%= it.w.request %></div><pre><%= h.request %></pre><div class="small muted"><%= it.w.response %></div><pre><%= h.response %></pre></details></td></tr>
<% } %></tbody>
</table></div>
<h2><%= it.w.accessTitle %></h2>
<p class="muted small"><%= it.accessNote %></p>
<table class="access">
<thead><tr><th><%= it.w.time %></th><th><%= it.w.viewer %></th><th><%= it.w.role %></th><th><%= it.w.page %></th><th>№</th></tr></thead>
<tbody>
<% for (const a of it.accesses) { %><tr><td class="nowrap"><%= a.at %></td><td><%= a.viewer %></td><td><%= a.role %></td><td><%= a.page %></td><td><%= a.id %></td></tr>
<% } %></tbody>
</table>
`;
