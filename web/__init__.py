"""Server-rendered pages for caseworkers (issue 5)."""
