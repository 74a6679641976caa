"""The dashboard application: ``create_app(db_path)`` for ``tiescale serve`` and the tests."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from ...insights.derived import refresh_derived
from ...records import TiescaleError
from .gate import StoreBusy, StoreGate
from .security import Security

STATIC = Path(__file__).resolve().parent / "static"


def create_app(db_path: str | Path, token: str | None = None, csp: bool = True, wait: float = 2.0,
               extra_hosts: tuple[str, ...] = ()) -> FastAPI:
    """The dashboard over the store at ``db_path``; ``token`` guards every route when given."""
    from . import api, engage_routes, pages, views

    app = FastAPI(
        title="tiescale", version=_version(),
        description="The JSON API behind the tiescale dashboard: relationship scores, people, the nurture "
                    "queue, content and revenue, read from the local store. State changes need the "
                    "X-CSRF-Token header (from GET /api/session) or a Bearer token.",
        docs_url=None, redoc_url=None, openapi_url="/api/openapi.json",
    )
    # every state change (done, snooze, merge, unmerge, rescore) brings derived tables up to date
    # after its write, so that GET requests only read
    app.state.gate = StoreGate(db_path, wait=wait, after_write=refresh_derived)
    app.state.memo = views.Memo()
    app.state.security = Security(token=token, csp=csp, extra_hosts=extra_hosts)
    app.middleware("http")(app.state.security.middleware)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(api.router)
    app.include_router(pages.router)
    app.include_router(engage_routes.router)

    @app.exception_handler(StoreBusy)
    async def busy(request: Request, exc: StoreBusy) -> Any:
        if request.url.path.startswith("/api/") or request.headers.get("hx-request"):
            return JSONResponse({"detail": str(exc)}, status_code=503, headers={"Retry-After": "2"})
        return pages.busy_page(request, str(exc))

    @app.exception_handler(TiescaleError)
    async def tiescale_error(request: Request, exc: TiescaleError) -> Any:
        status = 404 if type(exc).__name__ in ("PersonNotFound",) else 400
        if request.url.path.startswith("/api/") or request.headers.get("hx-request"):
            # a button's request (merge with an unknown handle): the page's toast shows this message
            return JSONResponse({"detail": str(exc)}, status_code=status)
        return HTMLResponse(pages.message_html(request, str(exc)), status_code=status)

    return app


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("tiescale")
    except PackageNotFoundError:  # pragma: no cover
        return "0"
