"""A replay HTTP server on 127.0.0.1: answers requests with recorded responses, in order.

A recording (``Exchange``) names the method, the path and the query parameters a request must
carry (a subset: other parameters such as ``limit`` are ignored), and the response: status,
headers and body, or ``drop=True`` to close the connection without answering. Requests are
matched against the first unused exchange that fits, like a VCR cassette played in order; an
exchange with ``times=0`` answers any number of times. Every origin named in a recorded request
URI is rewritten to the server's own address in headers (``Link``) and in session bodies (the ``didDoc`` PDS
endpoint), so the clients come back here and nothing leaves the machine. Pagination
parameters (``cursor``, ``min_id``, ``max_id``, ``since_id``) must match exactly.

Loads the project's JSON cassettes (``tests/fixtures/bluesky-xrpc``, ``tests/fixtures/mastodon-api``)
and the R ``vcr`` YAML cassettes of ``../shared/data/exports/bluesky/bskyr-vcr-cassettes``.
"""
from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from collections.abc import Callable
from urllib.parse import parse_qsl, urlsplit


#: Pagination parameters: a request carrying one only matches a recording of that same page.
PAGING = ("cursor", "min_id", "max_id", "since_id")


@dataclass
class Exchange:
    method: str
    path: str
    query: dict[str, str] = field(default_factory=dict)
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None  # dict/list -> JSON; str/bytes as is
    drop: bool = False
    delay: float = 0.0  # seconds before answering (a slow server; a process can be killed meanwhile)
    times: int = 1  # 0: unlimited
    used: int = 0
    origin: str | None = None  # the recorded origin, rewritten to the server's
    rewrite_body: bool = False  # also in the body (a session's didDoc PDS endpoint); headers always
    #: A stateful answer (a fake platform's write endpoints): called with the request, returns
    #: (status, headers, body). With ``drop=True`` it runs first (the server did the work) and then the
    #: connection is closed without an answer: a write that happened but whose answer was lost.
    respond: Callable[[Seen], tuple[int, dict[str, str], Any]] | None = None

    def matches(self, method: str, path: str, query: dict[str, str]) -> bool:
        if self.times and self.used >= self.times:
            return False
        return (self.method == method and self.path.rstrip("/") == path.rstrip("/")
                and all(query.get(k) == v for k, v in self.query.items())
                and all(self.query.get(k) == query[k] for k in PAGING if k in query))


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    answered: int | None  # status, or None when dropped / unmatched


class ReplayServer:
    def __init__(self, exchanges: list[Exchange] | None = None) -> None:
        self.exchanges: list[Exchange] = list(exchanges or [])
        self.seen: list[Seen] = []
        self.unmatched: list[Seen] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                server._handle(self)

            def do_POST(self) -> None:
                server._handle(self)

            def do_DELETE(self) -> None:
                server._handle(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> ReplayServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def add(self, *exchanges: Exchange) -> None:
        with self._lock:
            self.exchanges.extend(exchanges)

    def insert(self, *exchanges: Exchange) -> None:
        """Put exchanges in front: they answer before the recordings (faults to inject)."""
        with self._lock:
            self.exchanges[:0] = list(exchanges)

    def requests_to(self, path: str) -> list[Seen]:
        return [s for s in self.seen if s.path.rstrip("/") == path.rstrip("/")]

    def _rewrite(self, text: str) -> str:
        for origin in {e.origin for e in self.exchanges if e.origin}:
            text = text.replace(origin, self.url)
        return text

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        seen = Seen(handler.command, parts.path, query, {k.lower(): v for k, v in handler.headers.items()}, body, None)
        with self._lock:
            self.seen.append(seen)
            exchange = next((e for e in self.exchanges if e.matches(handler.command, parts.path, query)), None)
            if exchange is not None:
                exchange.used += 1
        if exchange is None:
            self.unmatched.append(seen)
            self._send(handler, 404, {}, {"error": "NotRecorded", "message": f"no recording for {parts.path}"})
            return
        if exchange.delay:
            time.sleep(exchange.delay)
        status, headers, answer = exchange.status, exchange.headers, exchange.body
        if exchange.respond is not None:
            status, headers, answer = exchange.respond(seen)
        if exchange.drop:
            handler.close_connection = True
            try:
                handler.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        seen.answered = status
        self._send(handler, status, headers, answer, exchange.rewrite_body)

    def _send(self, handler: BaseHTTPRequestHandler, status: int, headers: dict[str, str], body: Any,
              rewrite_body: bool = False) -> None:
        rewrite = self._rewrite if rewrite_body else (lambda text: text)
        if isinstance(body, (dict, list)):
            data = rewrite(json.dumps(body)).encode()
            content_type = "application/json; charset=utf-8"
        elif isinstance(body, str):
            data = rewrite(body).encode()
            content_type = "application/json; charset=utf-8"
        else:
            data = body or b""
            content_type = "application/octet-stream"
        handler.send_response(status)
        sent = {k.lower() for k in headers}
        for key, value in headers.items():
            if key.lower() in ("content-length", "transfer-encoding", "connection", "content-encoding",
                               "keep-alive", "strict-transport-security", "date"):
                continue
            handler.send_header(key, self._rewrite(str(value)))
        if "content-type" not in sent:
            handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)


# -- cassettes ----------------------------------------------------------------------------------
def _exchange(method: str, uri: str, status: int, headers: dict[str, Any], body: Any) -> Exchange:
    parts = urlsplit(uri)
    query = {k: v for k, v in parse_qsl(parts.query) if k != "limit"}  # a page size, not what is asked
    return Exchange(method.upper(), parts.path, query, status,
                    {k: str(v) for k, v in (headers or {}).items()}, body,
                    origin=f"{parts.scheme}://{parts.netloc}",
                    rewrite_body=parts.path.endswith(("Session", "/oauth/token")))


def load_json_cassette(path: Path) -> list[Exchange]:
    """``{"interactions": [{"request": {"method", "uri"}, "response": {"status", "headers", "body"}}]}``."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return [_exchange(i["request"]["method"], i["request"]["uri"], i["response"].get("status", 200),
                      i["response"].get("headers", {}), i["response"].get("body"))
            for i in data["interactions"]]


def load_vcr_cassette(path: Path) -> list[Exchange]:
    """An R ``vcr`` YAML cassette (``http_interactions``, body in ``response.body.string``)."""
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    found = []
    for i in data["http_interactions"]:
        response = i["response"]
        status = response["status"]
        status = status.get("status_code", 200) if isinstance(status, dict) else int(status)
        found.append(_exchange(i["request"]["method"], i["request"]["uri"], status, response.get("headers", {}),
                               response["body"]["string"]))
    return found
