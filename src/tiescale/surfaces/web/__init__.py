"""The local web dashboard (``tiescale serve``): FastAPI, server-rendered pages, a JSON API."""
