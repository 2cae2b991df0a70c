"""The HTTP app: the JSON API (flows/web/api/) and the server-rendered pages, on one FastAPI app."""
