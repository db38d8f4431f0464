/** Webhooks, their deliveries, checks and the conversations they hold (src/admin/pages/hooks.ts). */
export const HOOKS_VIEW = `<% for (const n of it.notices) { %><p class="notice<% if (n.bad) { %> bad<% } %>"><%= n.text %></p>
<% } %><h2><%= it.w.webhooks %></h2>
<% if (it.webhooks.length === 0) { %><p class="muted"><%= it.w.noWebhooks %></p>
<% } else { %><table class="webhooks">
<thead><tr><th><%= it.w.name %></th><th><%= it.w.url %></th><th><%= it.w.events %></th><th class="num"><%= it.w.pending %></th><th class="num"><%= it.w.delivered %></th><th class="num"><%= it.w.failed %></th><th><%= it.w.health %></th></tr></thead>
<tbody>
<% for (const h of it.webhooks) { %><tr id="webhook-<%= h.name %>">
  <td><a href="<%= h.href %>"><strong><%= h.name %></strong></a><% if (!h.configured) { %> <span class="badge warn"><%= it.w.removed %></span><% } %></td>
  <td><code><%= h.url %></code><% if (h.masked) { %><div class="small muted"><%= it.w.masked %></div><% } %></td>
  <td class="small"><%= h.events %></td><td class="num"><%= h.pending %></td><td class="num"><%= h.delivered %></td><td class="num"><%= h.failed %></td>
  <td><span class="badge <%= h.healthClass %>"><%= h.healthLabel %></span><% if (h.fix) { %><div class="small muted"><%= h.fix %></div><% } %></td>
</tr>
<% } %></tbody>
</table>
<% } %><h2><%= it.deliveriesTitle %></h2>
<form method="get" action="<%= it.action %>" class="filters">
  <div><label for="h-webhook"><%= it.w.webhook %></label><select id="h-webhook" name="webhook"><option value=""><%= it.w.any %></option>
<% for (const o of it.webhookOptions) { %>    <option value="<%= o.value %>"<% if (o.selected) { %> selected<% } %>><%= o.value %></option>
<% } %>  </select></div>
  <div><label for="h-state"><%= it.w.state %></label><select id="h-state" name="state"><option value=""><%= it.w.any %></option>
<% for (const o of it.stateOptions) { %>    <option value="<%= o.value %>"<% if (o.selected) { %> selected<% } %>><%= o.label %></option>
<% } %>  </select></div>
  <div><button type="submit"><%= it.w.show %></button></div>
</form>
<% if (it.deliveries.length === 0) { %><p class="muted"><%= it.w.noDeliveries %></p>
<% } else { %><table class="deliveries">
<thead><tr><th>№</th><th><%= it.w.webhook %></th><th><%= it.w.type %></th><th><%= it.w.conversation %></th><th><%= it.w.state %></th><th class="num"><%= it.w.attempts %></th><th><%= it.w.last %></th><th><%= it.w.created %></th><th><%= it.w.deliveredAt %></th></tr></thead>
<tbody>
<% for (const d of it.deliveries) { %><tr<% if (d.failed) { %> class="failed"<% } %>><td><%= d.id %></td><td><%= d.webhook %></td><td><code><%= d.type %></code></td>
  <td><% if (d.conversation) { %><a href="<%= d.conversation.href %>"><%= d.conversation.id %></a><% } else { %>—<% } %></td>
  <td><span class="badge <%= d.stateClass %>"><%= d.state %></span></td><td class="num"><%= d.attempts %></td><td class="small"><%= d.last %></td><td class="nowrap"><%= d.created %></td><td class="nowrap"><%= d.delivered %></td></tr>
<% } %></tbody>
</table>
<% } %><h2><%= it.w.checks %></h2>
<% if (it.checks.length === 0) { %><p class="muted"><%= it.w.noChecks %></p>
<% } else { %><table class="checks">
<thead><tr><th><%= it.w.name %></th><th><%= it.w.url %></th><th class="num"><%= it.w.timeout %></th><th><%= it.w.onError %></th><th><%= it.w.eachMessage %></th></tr></thead>
<tbody>
<% for (const c of it.checks) { %><tr><td><strong><%= c.name %></strong></td><td><code><%= c.url %></code></td><td class="num"><%= c.timeout %></td><td><%= c.onError %></td><td><%= c.eachMessage %></td></tr>
<% } %></tbody>
</table>
<% } %><h2 id="gates"><%= it.w.gates %></h2>
<% if (it.gates.length === 0) { %><p class="muted"><%= it.w.noGates %></p>
<% } else { %><table class="gates">
<thead><tr><th><%= it.w.conversation %></th><th><%= it.w.verdict %></th><th><%= it.w.check %></th><th><%= it.w.note %></th><th><%= it.w.told %></th><th><%= it.w.since %></th><% if (it.canAct) { %><th></th><% } %></tr></thead>
<tbody>
<% for (const g of it.gates) { %><tr data-conversation="<%= g.id %>"><td><a href="<%= g.href %>"><%= g.id %></a></td><td><span class="badge <%= g.cls %>"><%= g.verdict %></span></td><td><%= g.check %></td><td><%= g.note %></td><td><%= g.told %></td><td class="nowrap"><%= g.since %></td>
<% if (it.canAct) { %>  <td class="nowrap"><form method="post" action="<%= it.action %>" class="inline"><input type="hidden" name="_csrf" value="<%= it.csrfToken %>"><input type="hidden" name="action" value="release"><input type="hidden" name="conversation" value="<%= g.id %>"><button type="submit"><%= it.w.release %></button></form>
<% if (!g.blocked) { %>    <form method="post" action="<%= it.action %>" class="inline"><input type="hidden" name="_csrf" value="<%= it.csrfToken %>"><input type="hidden" name="action" value="block"><input type="hidden" name="conversation" value="<%= g.id %>"><button type="submit" class="secondary"><%= it.w.block %></button></form><% } %></td>
<% } %></tr>
<% } %></tbody>
</table>
<% } %>`;
