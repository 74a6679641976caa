"""Issue 18, point 11: /api/classify bounds what it takes (text length, batch size) with a clear 422."""
from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from tiescale.store.db import Store
from tiescale.surfaces.web.app import create_app


def test_classify_refuses_a_huge_text_and_a_huge_batch(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    Store(db).close()
    with TestClient(create_app(db), base_url="http://127.0.0.1") as c:
        headers = {"X-CSRF-Token": c.get("/api/session").json()["csrf_token"]}
        huge = c.post("/api/classify", json={"texts": ["x" * 1_000_000]}, headers=headers)
        assert huge.status_code == 422
        assert "20000" in huge.text or "20,000" in huge.text
        many = c.post("/api/classify", json={"texts": ["hello"] * 101}, headers=headers)
        assert many.status_code == 422
        fine = c.post("/api/classify", json={"texts": ["thanks for the help"]}, headers=headers)
        assert fine.status_code in (200, 503)  # 503: the classifier extra is not installed
