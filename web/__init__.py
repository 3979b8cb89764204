"""Server-rendered pages for caseworkers (issue 5): GOV.UK Frontend, Jinja2, a cookie session."""
