"""What the benchmarks share: wiping a scratch PostgreSQL schema, settling it before measuring, waiting for a server."""

from __future__ import annotations

import sys
import time
import urllib.request


def wipe_schema(url: str) -> None:
    """Drop and recreate the ``public`` schema; refuses any database whose name lacks ``test``."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = make_url(url).database or ""
    if not url.startswith("postgresql") or "test" not in name:
        sys.exit(f"refusing to wipe database {name!r}: the benchmark needs a PostgreSQL database whose name contains 'test'")
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def settle(url: str) -> None:
    """After the set-up and before measuring, as pgbench does: VACUUM ANALYZE, so autovacuum has nothing
    of the set-up's left to do, and CHECKPOINT, so flushing the set-up's writes does not land inside a
    measurement either."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("VACUUM ANALYZE"))
        connection.execute(text("CHECKPOINT"))
    engine.dispose()


def wait_for(url: str, seconds: float = 60) -> None:
    """Until ``url`` answers 200, or exit with a message."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    sys.exit(f"{url} did not answer within {seconds:.0f} s")


def prepare_database(url: str, name: str) -> str:
    """A fresh database for a benchmark: ``url`` wiped (PostgreSQL), or a new SQLite file
    ``bench/out/<name>.db`` when no URL is given."""
    from pathlib import Path

    from config import normalise_database_url

    if not url:
        out = Path(__file__).resolve().parent / "out"
        out.mkdir(parents=True, exist_ok=True)
        path = out / f"{name}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    url = normalise_database_url(url)
    wipe_schema(url)
    return url


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]
