/** The admin UI's page frame: the header (navigation, the user, the language switch, logout) and the page's body. */
export const LAYOUT_VIEW = `<!doctype html>
<html lang="<%= it.lang %>">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title><%= it.title %> — <%= it.brand %></title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="<%= it.cssUrl %>">
</head>
<body>
<header class="top">
  <a class="brand" href="/admin/"><%= it.brand %></a>
  <nav>
<% for (const item of it.nav) { %>    <a href="<%= item.href %>"<% if (item.current) { %> class="current" aria-current="page"<% } %>><%= item.label %></a>
<% } %>  </nav>
  <div class="who">
<% for (const l of it.langs) { %>    <a href="<%= l.href %>" hreflang="<%= l.lang %>"<% if (l.current) { %> class="current"<% } %>><%= l.label %></a>
<% } %><% if (it.user) { %>    <span class="user"><%= it.user.username %> (<%= it.user.roleLabel %>)</span>
    <form method="post" action="/admin/logout"><input type="hidden" name="_csrf" value="<%= it.csrfToken %>"><button type="submit"><%= it.logoutLabel %></button></form>
<% } %>  </div>
</header>
<main>
<h1><%= it.title %></h1>
<%~ it.body %>
</main>
</body>
</html>
`;
