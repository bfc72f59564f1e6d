"""Shared test fixtures: golden files (regenerated with ``pytest --update-golden``)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pgcluster import PgCluster, bin_dir
from vminv.inventory.location import PostgresLocation

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
GOLDEN_DIR = Path(__file__).resolve().parent / "golden"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="Rewrite tests/golden/* from the current output instead of comparing.",
    )


class Golden:
    def __init__(self, update: bool) -> None:
        self.update = update

    def check(self, name: str, text: str) -> None:
        path = GOLDEN_DIR / name
        if self.update:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            return
        if not path.exists():
            pytest.fail(f"golden file {path} is missing; run pytest --update-golden once and review it")
        expected = path.read_text(encoding="utf-8")
        assert text == expected, f"output differs from golden file {path} (pytest --update-golden rewrites it)"


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Golden:
    return Golden(bool(request.config.getoption("--update-golden")))


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    """A throwaway PostgreSQL cluster for the whole session (tests marked ``postgres``)."""
    if bin_dir() is None:
        if os.environ.get("CI") == "true":
            pytest.fail("no PostgreSQL binaries: .ci/services must install postgresql")
        pytest.skip("no PostgreSQL binaries (bash .ci/services installs them)")
    cluster = PgCluster().start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def pg_database(pg_cluster: PgCluster) -> str:
    """One database for the session's tests; each test gets its own schema in it."""
    return pg_cluster.new_database()


@pytest.fixture
def pg_location(pg_cluster: PgCluster, pg_database: str) -> PostgresLocation:
    """An empty PostgreSQL inventory location of this test's own (a fresh schema)."""
    return PostgresLocation(pg_cluster.new_schema_url(pg_database))
