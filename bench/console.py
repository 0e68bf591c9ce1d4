"""The console's dashboard and live attendance page against the bare ``GET /healthz`` on the same server.

Builds the large data set (``flask console seed-large``: 2,000 staff in 20 departments, 500 events,
50,000 sign-ins, 200 wishes), starts gunicorn, signs an administrator in with a password (one browser
session per client thread), then alternates rounds of the three endpoints and prints p50/p95 of each
and the ratio to the bare endpoint. Target: the dashboard's p95 within 10 x the bare endpoint's.

    .venv/bin/python bench/console.py                         # SQLite file under bench/out/
    .venv/bin/python bench/console.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test_bench
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from sqlalchemy import select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import percentile, prepare_database, settle, wait_for  # noqa: E402

from app import create_app  # noqa: E402
from app.demo_console import seed_large  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import Event, Staff  # noqa: E402
from app.services import audit, console_auth, roles  # noqa: E402
from config import ProductionConfig  # noqa: E402

PASSWORD = secrets.token_urlsafe(16)
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--port", type=int, default=9402)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=4, help="client threads, each its own signed-in session")
    parser.add_argument("--requests", type=int, default=200, help="requests per endpoint per round")
    parser.add_argument("--rounds", type=int, default=3)
    return parser.parse_args()


def signed_in_session(base: str) -> requests.Session:
    session = requests.Session()
    token = CSRF.search(session.get(f"{base}/console/login", timeout=30).text).group(1)
    answer = session.post(f"{base}/console/login", data={"csrf_token": token, "employee_no": "L00000", "password": PASSWORD},
                          allow_redirects=False, timeout=30)
    if answer.status_code != 302:
        sys.exit(f"could not sign in: HTTP {answer.status_code}")
    return session


def main() -> int:
    args = parse_args()
    url = prepare_database(args.database_url, "console")
    env = {
        "APP_ENV": "production", "CHECKIN_URL_BASE": "https://bench.invalid/qr/checkin", "SECRET_KEY": secrets.token_urlsafe(48),
        "DATABASE_URL": url, "LOG_LEVEL": "WARNING", "SESSION_COOKIE_SECURE": "false",
        "UPLOAD_FOLDER": str(ROOT / "bench" / "out" / "uploads"),
        "RATELIMIT_ALLOW_PER_PROCESS": "1",  # one server, no Redis needed (production refuses memory:// otherwise)
    }
    os.environ.update(env)
    app = create_app(ProductionConfig())
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        started = time.perf_counter()
        counts = seed_large(db.session)
        admin = db.session.scalar(select(Staff).where(Staff.employee_no == "L00000"))
        roles.grant_role(db.session, admin, "admin", audit.Actor.system())
        console_auth.set_password(db.session, admin, PASSWORD, audit.Actor.system())
        busiest = db.session.scalar(select(Event.id).order_by(Event.id).limit(1))
        print(f"data: {counts} in {time.perf_counter() - started:.1f} s")
        db.engine.dispose()
    if url.startswith("postgresql"):
        settle(url)

    base = f"http://127.0.0.1:{args.port}"
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-c", "config/gunicorn.conf.py", "--workers", str(args.workers),
         "--bind", f"127.0.0.1:{args.port}", "--log-level", "warning", "app:create_app()"],
        cwd=ROOT, env={**os.environ, **env},
    )
    try:
        wait_for(f"{base}/healthz")
        sessions = [signed_in_session(base) for _ in range(args.concurrency)]
        local = threading.local()
        counter = iter(range(10**9))
        lock = threading.Lock()

        def one(path: str) -> float:
            if not hasattr(local, "session"):
                with lock:
                    local.session = sessions[next(counter) % len(sessions)]
            begun = time.perf_counter()
            response = local.session.get(base + path, timeout=60)
            if response.status_code != 200:
                raise RuntimeError(f"{path}: HTTP {response.status_code}")
            return (time.perf_counter() - begun) * 1000

        paths = {"GET /healthz (bare)": "/healthz", "GET /console/ (dashboard)": "/console/",
                 "GET attendance page": f"/console/events/{busiest}/attendance"}
        timings: dict[str, list[float]] = {label: [] for label in paths}
        with ThreadPoolExecutor(args.concurrency) as pool:
            for path in paths.values():  # warm up every worker
                list(pool.map(one, [path] * 20))
            for _ in range(args.rounds):
                for label, path in paths.items():
                    timings[label] += list(pool.map(one, [path] * args.requests))
    finally:
        server.terminate()
        server.wait(timeout=30)

    print(f"console benchmark: gunicorn {args.workers} sync workers, {url.split(':')[0]}, {args.concurrency} client threads, "
          f"{args.rounds} rounds x {args.requests} requests per endpoint")
    print(f"{'endpoint':<30}{'p50 ms':>10}{'p95 ms':>10}{'p95 / bare':>12}")
    bare = percentile(timings["GET /healthz (bare)"], 0.95)
    for label, values in timings.items():
        p95 = percentile(values, 0.95)
        print(f"{label:<30}{percentile(values, 0.5):>10.1f}{p95:>10.1f}{p95 / bare:>12.1f}")
    ratio = percentile(timings["GET /console/ (dashboard)"], 0.95) / bare
    print(f"dashboard p95 within 10 x bare: {'yes' if ratio <= 10 else 'no'} ({ratio:.1f} x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
