/** A refusal or an error as a page: what happened, its stable code, and where to go. */
export const MESSAGE_VIEW = `<p class="notice bad" role="alert"><%= it.message %></p>
<% if (it.code) { %><p class="muted"><%= it.t('Код', 'Code') %>: <code id="error-code"><%= it.code %></code></p>
<% } %><p><a href="<%= it.back %>"><%= it.backLabel %></a></p>
`;
