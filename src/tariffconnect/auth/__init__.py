"""Who is calling: HTTP Basic for GET /login, bearer tokens, and the per-request route class
that runs each authenticated handler inside the request's one transaction."""
