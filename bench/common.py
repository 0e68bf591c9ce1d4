"""What the benchmarks share: wiping a scratch PostgreSQL schema, settling it before measuring, waiting for a server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path


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


def drive_wrk(port: int, requests: list[tuple[str, str, str | None, dict[str, str]]], concurrency: int,
              duration: int, warm_up: bool = False, answers: bool = False) -> dict:
    """Replay ``requests`` with wrk for ``duration`` seconds over ``concurrency`` keep-alive connections.

    A warm-up may run out of requests (each thread then repeats its last one); a measurement may not.

    Each prepared request is sent at most once; wrk's histogram holds exactly the requests sent. With
    ``answers``, the result also counts refusals by error code (``codes``) and successes by the title
    they name (``winners``), see bench/lua/replay.lua."""
    threads = 2
    with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False) as file:
        for method, path, body, headers in requests:
            file.write(f"{method}\t{path}\t{headers.get('Authorization', '')}\t{body or ''}\n")
    try:
        completed = subprocess.run(
            ["wrk", "-t", str(threads), "-c", str(concurrency), "-d", f"{max(1, round(duration))}s", "--timeout", "10s",
             "-s", str(Path(__file__).resolve().parent / "lua" / "replay.lua"), f"http://127.0.0.1:{port}", "--", file.name,
             str(threads), "answers" if answers else ""],
            capture_output=True, text=True,
        )
    finally:
        os.unlink(file.name)
    if completed.returncode != 0:
        sys.exit(f"wrk failed ({completed.returncode}): {completed.stderr.strip() or completed.stdout.strip()}")
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    if result["exhausted_threads"] and not warm_up:
        sys.exit("wrk ran out of prepared requests: raise --people or lower --duration")
    return result
