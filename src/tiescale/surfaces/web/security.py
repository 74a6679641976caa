"""Who may talk to the dashboard, and how state changes are protected.

- Loopback by default. Bound anywhere else, ``tiescale serve`` refuses to start without a token;
  with one, every route (pages, API, static files) requires it: ``Authorization: Bearer T``, or the
  cookie set by opening any page once with ``?token=T`` (the token is then removed from the URL).
- Without a token, only the Host names of this machine are accepted (127.0.0.1, localhost, ::1),
  so a web page using DNS rebinding cannot read the dashboard.
- State changes (POST, PUT, PATCH, DELETE) need a CSRF token in the ``X-CSRF-Token`` header (or, for
  a form posted without JavaScript, its ``csrf_token`` field): an HMAC, under a per-process secret,
  of a random SameSite=Strict cookie. A cross-site page can neither
  read the token nor set the header; requests from another Origin are refused outright. API
  clients authenticated by a Bearer token need no CSRF token (a browser never adds that header
  by itself); on loopback without a token they get one from ``GET /api/session``.
- Every response carries a strict Content-Security-Policy (scripts from this server only).
"""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from dataclasses import dataclass, field
from collections.abc import Awaitable, Callable
from urllib.parse import urlencode, urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

CSRF_COOKIE = "tiescale_csrf"
TOKEN_COOKIE = "tiescale_token"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"  # the same token in a form posted without JavaScript
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1", "[::1]"}
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")


def is_loopback(host: str) -> bool:
    if host.strip("[]") in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass
class Security:
    token: str | None = None
    csp: bool = True
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    #: extra Host names accepted without a token (tests use the TestClient's)
    extra_hosts: tuple[str, ...] = ()

    def csrf_for(self, cookie: str) -> str:
        return hmac.new(self.secret, cookie.encode(), hashlib.sha256).hexdigest()

    def host_allowed(self, request: Request) -> bool:
        if self.token is not None:
            return True
        host = (request.headers.get("host") or "").lower()
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        if host.startswith("[") and "]" in host:
            name = host[: host.index("]") + 1]
        return is_loopback(name) or name in self.extra_hosts

    def authenticated(self, request: Request) -> str | None:
        """How the request proved it knows the token: 'bearer', 'cookie', 'query', or None."""
        if self.token is None:
            return "none-needed"
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("bearer ") and hmac.compare_digest(auth[7:].strip().encode(), self.token.encode()):
            return "bearer"
        cookie = request.cookies.get(TOKEN_COOKIE, "")
        if cookie and hmac.compare_digest(cookie.encode(), self.token.encode()):
            return "cookie"
        query = request.query_params.get("token", "")
        if query and hmac.compare_digest(query.encode(), self.token.encode()):
            return "query"
        return None

    def origin_ok(self, request: Request) -> bool:
        origin = request.headers.get("origin")
        if not origin:
            return True
        if origin == "null":
            return False
        return urlsplit(origin).netloc.lower() == (request.headers.get("host") or "").lower()

    async def middleware(self, request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        if not self.host_allowed(request):
            return _refuse(request, 421, "This dashboard answers only on 127.0.0.1 / localhost.")
        how = self.authenticated(request)
        if how is None:
            return _refuse(request, 401, "A token is required: open this page with ?token=YOUR_TOKEN "
                                         "or send 'Authorization: Bearer YOUR_TOKEN'.", login=True)
        if how == "query" and request.method in SAFE_METHODS:
            kept = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
            target = request.url.path + ("?" + urlencode(kept) if kept else "")
            response: Response = RedirectResponse(target, status_code=303)
            response.set_cookie(TOKEN_COOKIE, self.token or "", httponly=True, samesite="strict")
            return self._headers(response)
        cookie = request.cookies.get(CSRF_COOKIE)
        new_cookie = None
        if not cookie:
            cookie = new_cookie = secrets.token_urlsafe(24)
        request.state.csrf_token = self.csrf_for(cookie)
        if request.method not in SAFE_METHODS:
            if not self.origin_ok(request):
                return _refuse(request, 403, "Cross-site request refused.")
            if how != "bearer":
                sent = request.headers.get(CSRF_HEADER, "") or await _form_token(request)
                if new_cookie or not hmac.compare_digest(sent.encode(), request.state.csrf_token.encode()):
                    return _refuse(request, 403, "Missing or wrong CSRF token: reload the page and try again "
                                                 "(API clients: GET /api/session, then send X-CSRF-Token).")
        response = await call_next(request)
        if new_cookie:
            response.set_cookie(CSRF_COOKIE, new_cookie, httponly=True, samesite="strict")
        return self._headers(response)

    def _headers(self, response: Response) -> Response:
        if self.csp:
            response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        # same-origin: a link out of the dashboard tells the other site nothing (as no-referrer did), and
        # a form posted without JavaScript keeps its Origin (under no-referrer Chromium sends "null",
        # which origin_ok refuses)
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers.setdefault("Cache-Control", "no-store")
        return response


async def _form_token(request: Request) -> str:
    """The CSRF token of a form posted without JavaScript (a hidden ``csrf_token`` field): the same
    token as the header, in the body of a same-origin form; the body is read once and kept for the
    route (Starlette caches ``body()``; ``form()`` here would leave the route an empty body)."""
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return ""
    from urllib.parse import parse_qs

    body = await request.body()  # cached: the route reads the same bytes
    values = parse_qs(body.decode("utf-8", "replace"), max_num_fields=200).get(CSRF_FIELD, [""])
    return values[0]


def _refuse(request: Request, status: int, message: str, login: bool = False) -> Response:
    if request.url.path.startswith("/api/") or "text/html" not in request.headers.get("accept", ""):
        return JSONResponse({"detail": message}, status_code=status)
    form = ('<form method="get"><label>Token <input name="token" type="password" autofocus></label> '
            '<button>Open</button></form>') if login else ""
    from markupsafe import escape

    return HTMLResponse(
        f'<!doctype html><meta charset="utf-8"><title>tiescale</title><body style="font-family:system-ui;'
        f'max-width:36rem;margin:4rem auto;color:#0f172a"><h1 style="font-size:1.3rem">tiescale</h1>'
        f"<p>{escape(message)}</p>{form}</body>", status_code=status)
