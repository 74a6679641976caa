"""A property-based run (schemathesis) against the JSON API's own OpenAPI schema: no server errors.

The real server (uvicorn on a free loopback port) runs over a small demo store; requests carry
a Bearer token, so that the state-changing routes are exercised too.
"""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import content_type_conformance, not_a_server_error, response_schema_conformance

from tiescale.store.db import Store
from tiescale.surfaces.web.app import create_app

from .conftest import LiveServer, build_demo

TOKEN = "schemathesis-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _openapi() -> dict[str, Any]:
    empty = Path(tempfile.mkdtemp()) / "schema-only.duckdb"
    Store(empty).close()
    return create_app(empty, token=TOKEN).openapi()  # the schema does not depend on the store


schema = schemathesis.openapi.from_dict(_openapi())


@pytest.fixture(scope="module")
def api_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    from tiescale.demo import DemoConfig

    db = build_demo(tmp_path_factory.mktemp("api") / "api.duckdb", DemoConfig(seed=11, n_people=150, days=120),
                    months=2)
    with LiveServer(create_app(db, token=TOKEN)) as server:
        yield server


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_has_no_server_errors(case: schemathesis.Case, api_server: LiveServer) -> None:
    case.call_and_validate(base_url=api_server.url, headers=AUTH,
                           checks=[not_a_server_error, content_type_conformance, response_schema_conformance])
