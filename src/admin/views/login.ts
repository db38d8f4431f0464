/** The login form (GET/POST /admin/login). */
export const LOGIN_VIEW = `<form class="login" method="post" action="/admin/login">
<% if (it.error) { %>  <p class="notice bad" role="alert" id="login-error"><%= it.error.text %> <span class="muted small">(<%= it.error.code %>)</span></p>
<% } %>  <input type="hidden" name="next" value="<%= it.next %>">
  <label for="username"><%= it.t('Имя пользователя', 'User name') %></label>
  <input id="username" name="username" autocomplete="username" required maxlength="64" value="<%= it.username %>"<% if (!it.username) { %> autofocus<% } %>>
  <label for="password"><%= it.t('Пароль', 'Password') %></label>
  <input id="password" name="password" type="password" autocomplete="current-password" required maxlength="1024"<% if (it.username) { %> autofocus<% } %>>
  <button type="submit" id="login"><%= it.t('Войти', 'Log in') %></button>
  <p class="muted small"><%= it.t('Пользователей создаёт администратор сервера: npm run bridge -- user add <имя> --role admin|viewer', 'Users are made on the server: npm run bridge -- user add <name> --role admin|viewer') %></p>
</form>
`;
