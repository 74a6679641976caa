"""Keep the dashboard's reports computed for the store's current state, so a page only reads.

The overview, revenue, content and queue pages are computed from the store (``views``) and kept in
the server's ``Memo`` under the store's state. ``tiescale serve`` computes them once before it
listens, and a background thread looks at the store's state every few seconds: when another process
(``tiescale ingest``, ``tiescale sync --every``) changed it, the thread computes them again for the
new state. A request that arrives meanwhile waits for that computation (the memo runs each once)
rather than starting its own; a request after it reads. While a writer holds the store, the thread
waits for the next look, and pages keep answering from what they have.
"""
from __future__ import annotations

import threading
from typing import Any

from ...insights.overview import store_version
from .gate import StoreBusy, StoreGate
from . import views


class Warmer:
    def __init__(self, gate: StoreGate, memo: views.Memo, interval: float = 2.0) -> None:
        self.gate, self.memo, self.interval = gate, memo, interval
        self.version: tuple[Any, ...] | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def warm_once(self) -> bool:
        """Compute every page's report for the store's state unless done already; False when the
        store is busy (another process writes it)."""
        if not self.gate.free():
            return False
        try:
            with self.gate.read() as store:
                version = store_version(store)
            if version == self.version:
                return True
            views.overview_data(self.gate, self.memo)  # overview, revenue, vanity, goals, content, queue
            self.version = version
            return True
        except StoreBusy:
            return False

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="tiescale-warmer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.warm_once()
            except Exception:  # a failing report shows on its page; the next look tries again
                self.version = None
