"""Claim throughput and tail latency under contention, next to a bare endpoint on the same server.

Starts gunicorn (gthread workers) on a fresh database, signs in many people, then in each round
publishes a few wishes and lets every person try to claim one of them at the same moment. The same
number of requests to ``GET /healthz`` (one ``SELECT 1``) on the same server, with the same client
concurrency, is the baseline. Afterwards it counts double winners, both from the answers (two 200s
for one wish) and from the database (more than one claim transition or claim row per wish), and
people holding more active claims than the cap. Both must be 0.

    .venv/bin/python bench/claims.py                         # SQLite file under bench/out/
    .venv/bin/python bench/claims.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_test

A PostgreSQL database's name must contain "bench" or "test": its public schema is dropped first.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import requests
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import percentile, prepare_database, wait_for  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import Department, Staff, WishClaim, WishTransition  # noqa: E402
from app.services import audit, auth, wishes  # noqa: E402
from app.timeutil import local_today  # noqa: E402
from app.wechat import CodeSession  # noqa: E402
from config import ProductionConfig  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="", help="default: a fresh SQLite file under bench/out/")
    parser.add_argument("--port", type=int, default=9401)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8, help="gunicorn threads per worker")
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--wishes", type=int, default=5, help="wishes per round (few, so people collide)")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=32, help="client threads")
    parser.add_argument("--limit", type=int, default=2, help="WISH_CLAIM_LIMIT on the server")
    parser.add_argument("--profile", default="", help="record the server with py-spy into this file (collapsed stacks)")
    return parser.parse_args()


def settings(url: str, limit: int, upload_folder: Path) -> dict[str, str]:
    return {
        "APP_ENV": "production",
        "CHECKIN_URL_BASE": "https://bench.invalid/qr/checkin",  # production requires an https sign-in address
        "SECRET_KEY": secrets.token_urlsafe(48),
        "DATABASE_URL": url,
        "WISH_CLAIM_LIMIT": str(limit),
        "UPLOAD_FOLDER": str(upload_folder),
        "LOG_LEVEL": "WARNING",
        "RATELIMIT_ALLOW_PER_PROCESS": "1",  # production refuses memory:// limits otherwise
    }


def sign_in_people(count: int) -> list[str]:
    department = Department(name="压测部门")
    db.session.add(department)
    db.session.commit()
    tokens = []
    for i in range(count):
        staff = Staff(name=f"压测{i}", employee_no=f"B{i:05d}", department=department)
        db.session.add(staff)
        db.session.commit()
        token, account, _ = auth.log_in(db.session, CodeSession(f"bench-{i}", "k", None), None)
        auth.bind_account(db.session, account, staff.name, staff.employee_no)
        tokens.append(token)
    return tokens


def publish_round(count: int, round_no: int) -> list[int]:
    ids = []
    for i in range(count):
        draft = wishes.WishDraft(
            title=f"第{round_no}轮心愿{i}", story="压测", category="goods", beneficiary_name="王小明",
            village="红旗村", claim_deadline=local_today() + timedelta(days=30),
        )
        ids.append(wishes.create_wish(db.session, draft, audit.Actor.system(), publish=True).id)
    return ids


class Client:
    """One keep-alive HTTP session per client thread."""

    def __init__(self, base: str, concurrency: int) -> None:
        self.base = base
        self.pool = ThreadPoolExecutor(concurrency)
        self.sessions: dict[int, requests.Session] = {}

    def _session(self) -> requests.Session:
        key = threading.get_ident()
        if key not in self.sessions:
            self.sessions[key] = requests.Session()
        return self.sessions[key]

    def _one(self, method: str, path: str, token: str | None) -> tuple[float, int, str]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        started = time.perf_counter()
        response = self._session().request(method, self.base + path, headers=headers, timeout=60)
        elapsed = time.perf_counter() - started
        code = ""
        if response.status_code != 200:
            code = response.json().get("error", {}).get("code", "")
        return elapsed, response.status_code, code

    def run(self, calls: list[tuple[str, str, str | None]]) -> tuple[float, list[tuple[float, int, str]]]:
        started = time.perf_counter()
        results = list(self.pool.map(lambda call: self._one(*call), calls))
        return time.perf_counter() - started, results


def row(label: str, wall: float, results: list[tuple[float, int, str]]) -> str:
    latencies = [r[0] * 1000 for r in results]
    return (
        f"{label:<34}{len(results):>9}{len(results) / wall:>10.0f}"
        f"{statistics.median(latencies):>10.1f}{percentile(latencies, 0.99):>10.1f}"
    )


def main() -> int:
    args = parse_args()
    url = prepare_database(args.database_url, "claims")
    env = settings(url, args.limit, ROOT / "bench" / "out" / "uploads")
    os.environ.update(env)
    app = create_app(ProductionConfig())  # reads the settings just put in the environment
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        tokens = sign_in_people(args.people)

    base = f"http://127.0.0.1:{args.port}"
    bin_dir = Path(sys.executable).parent
    profiler = [str(bin_dir / "py-spy"), "record", "--subprocesses", "--format", "raw", "--rate", "200",
                "-o", args.profile, "--"] if args.profile else []
    server = subprocess.Popen(
        [*profiler, str(bin_dir / "gunicorn"), "-c", "config/gunicorn.conf.py", "--workers", str(args.workers),
         "--worker-class", "gthread",
         "--threads", str(args.threads), "--bind", f"127.0.0.1:{args.port}", "--log-level", "warning",
         "app:create_app()"],
        cwd=ROOT, env={**os.environ, **env}, start_new_session=True,
    )
    try:
        wait_for(f"{base}/healthz")
        client = Client(base, args.concurrency)
        rng = random.Random(4)
        total = args.people * args.rounds

        client.run([("GET", "/healthz", None)] * 200)  # warm up connections and workers
        bare_wall, bare = client.run([("GET", "/healthz", None)] * total)

        claim_results: list[tuple[float, int, str]] = []
        claim_wall = 0.0
        winners: Counter[int] = Counter()
        for round_no in range(args.rounds):
            with app.app_context():
                wish_ids = publish_round(args.wishes, round_no)
            targets = [rng.choice(wish_ids) for _ in tokens]
            calls = [("POST", f"/api/mp/wishes/{w}/claim", t) for w, t in zip(targets, tokens, strict=True)]
            wall, results = client.run(calls)
            claim_wall += wall
            claim_results += results
            winners.update(w for w, (_, status, _) in zip(targets, results, strict=True) if status == 200)
    finally:
        # SIGINT to the whole group: gunicorn stops, and py-spy (when profiling) writes its file.
        os.killpg(server.pid, signal.SIGINT)
        server.wait(timeout=60)

    with app.app_context():
        per_wish = db.session.execute(
            select(WishTransition.wish_id, func.count()).where(WishTransition.action == "claim")
            .group_by(WishTransition.wish_id)
        ).all()
        claim_rows = db.session.execute(
            select(WishClaim.wish_id, func.count()).group_by(WishClaim.wish_id)
        ).all()
        over_cap = db.session.execute(
            select(WishClaim.staff_id, func.count()).where(WishClaim.ended_at.is_(None))
            .group_by(WishClaim.staff_id).having(func.count() > args.limit)
        ).all()
        db.engine.dispose()

    outcomes = Counter(f"{status} {code}".strip() for _, status, code in claim_results)
    double_answers = sum(1 for count in winners.values() if count > 1)
    double_rows = sum(1 for _, count in per_wish if count > 1) + sum(1 for _, count in claim_rows if count > 1)
    backend = make_url(url).get_backend_name()
    print(f"claims benchmark: gunicorn {args.workers} workers x {args.threads} threads (gthread), {backend}, "
          f"{args.people} people, {args.rounds} rounds x {args.wishes} wishes, {args.concurrency} client threads, "
          f"cap {args.limit}")
    print(f"{'endpoint':<34}{'requests':>9}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}")
    print(row("GET /healthz (bare)", bare_wall, bare))
    print(row("POST /api/mp/wishes/<id>/claim", claim_wall, claim_results))
    print(f"claim throughput / bare throughput: {(len(claim_results) / claim_wall) / (len(bare) / bare_wall):.2f}")
    print("claim outcomes: " + ", ".join(f"{k} x {v}" for k, v in sorted(outcomes.items())))
    print(f"wishes claimed: {len(winners)} of {args.rounds * args.wishes}")
    print(f"double winners: {double_answers} (answers), {double_rows} (database)")
    print(f"people over the cap of {args.limit}: {len(over_cap)}")
    errors = [o for o in outcomes if not o.startswith(("200", "409"))]
    return 1 if double_answers or double_rows or over_cap or errors else 0


if __name__ == "__main__":
    sys.exit(main())
