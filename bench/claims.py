"""Claim throughput and tail latency under contention, next to a bare endpoint on the same server.

Starts gunicorn on a fresh database (by default as in production: sync workers, one more than the
cores, ``config/gunicorn.conf.py``), signs in many people and publishes the wishes, then sends crowds
of claims: in each crowd, ``--crowd`` people each try to claim one of ``--wishes`` new wishes, so a few
win and the rest collide. The load comes from wrk in a separate process (``--driver wrk``, default;
little client CPU on a small machine) in alternating rounds of claims and ``GET /healthz`` (one
``SELECT 1``, the bare baseline) on the same server with the same concurrency; ``--driver python``
keeps the former Python thread-pool client (one barrier per crowd). Afterwards it counts double
winners, both from the answers (two 200s naming one wish) and from the database (more than one claim
transition or claim row per wish), and people holding more active claims than the cap. Both must be
0, and the issue's targets are printed as PASS/FAIL lines.

    .venv/bin/python bench/claims.py                         # SQLite file under bench/out/
    .venv/bin/python bench/claims.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_test

A PostgreSQL database's name must contain "test": its public schema is dropped first.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import shutil
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

from bench.common import drive_wrk, percentile, prepare_database, settle, wait_for  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import Department, Staff, WishClaim, WishTransition  # noqa: E402
from app.services import audit, auth, wishes  # noqa: E402
from app.timeutil import local_today  # noqa: E402
from app.wechat import CodeSession  # noqa: E402
from config import ProductionConfig  # noqa: E402


# Issue 17's targets for 32 clients on PostgreSQL.
TARGET_RATIO = 0.5
TARGET_P99_MS = 100.0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="", help="default: a fresh SQLite file under bench/out/")
    parser.add_argument("--port", type=int, default=9401)
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 2) + 1)
    parser.add_argument("--worker-class", default="sync", choices=("sync", "gthread"))
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker (gthread)")
    parser.add_argument("--driver", choices=("wrk", "python"), default="wrk" if shutil.which("wrk") else "python",
                        help="load generator: wrk (C, little client CPU; Debian package wrk) or a Python thread pool")
    parser.add_argument("--people", type=int, help="people signed in (default: wrk 1000, python 200)")
    parser.add_argument("--crowd", type=int, default=200, help="people per crowd racing for the crowd's wishes (wrk)")
    parser.add_argument("--wishes", type=int, default=5, help="wishes per crowd (few, so people collide)")
    parser.add_argument("--rounds", type=int, help="rounds (default: wrk 3 alternating claim/bare rounds, python 10 crowds)")
    parser.add_argument("--duration", type=int, default=2, help="whole seconds per round with --driver wrk")
    parser.add_argument("--prepared", type=int, default=4000, help="claims prepared per wrk round (must outlast it)")
    parser.add_argument("--concurrency", type=int, default=32, help="client connections")
    parser.add_argument("--limit", type=int, default=2, help="WISH_CLAIM_LIMIT on the server")
    parser.add_argument("--profile", default="", help="record the server with py-spy into this file (collapsed stacks; "
                        "--gil: only the thread holding the GIL, so CPU time, not waits)")
    args = parser.parse_args()
    if args.people is None:
        args.people = 1000 if args.driver == "wrk" else 200
    if args.rounds is None:
        args.rounds = 3 if args.driver == "wrk" else 10
    return args


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


def wish_title(round_no: int, index: int) -> str:
    """Unique per wish: the wrk driver counts 200 answers by the title they name."""
    return f"第{round_no}轮心愿{index}"


def publish_round(count: int, round_no: int) -> list[int]:
    ids = []
    for i in range(count):
        draft = wishes.WishDraft(
            title=wish_title(round_no, i), story="压测", category="goods", beneficiary_name="王小明",
            village="红旗村", claim_deadline=local_today() + timedelta(days=30),
        )
        ids.append(wishes.create_wish(db.session, draft, audit.Actor.system(), publish=True).id)
    return ids


def crowds(app, tokens: list[str], args, first: int, count: int, rng: random.Random) -> tuple[list, dict[str, int]]:
    """``count`` crowds numbered from ``first``: each publishes ``args.wishes`` wishes and sends the next
    ``args.crowd`` people (taken in turn) at them. Returns the claims (wrk's request tuples) and the
    wishes by title."""
    calls, titles = [], {}
    for number in range(first, first + count):
        with app.app_context():
            ids = publish_round(args.wishes, number)
        titles.update({wish_title(number, i): wish_id for i, wish_id in enumerate(ids)})
        start = number * args.crowd
        people = [tokens[(start + i) % len(tokens)] for i in range(args.crowd)]
        rng.shuffle(people)
        calls += [("POST", f"/api/mp/wishes/{rng.choice(ids)}/claim", None, {"Authorization": f"Bearer {token}"})
                  for token in people]
    return calls, titles


def run_wrk(app, tokens: list[str], args, port: int, url: str) -> tuple[dict, dict, Counter, Counter]:
    """Alternating wrk rounds of claims (fresh crowds each) and the bare endpoint; per label the total
    throughput and the worst round's p50/p99, the claim outcomes, and the 200 answers per wish."""
    rng = random.Random(4)
    per_round = -(-args.prepared // args.crowd)
    # Enough for the 1 s warm-up: a wrk thread that runs out repeats its last claim, and those repeats
    # would spend that person's claim rate limit before the measurement.
    warm_crowds = -(-args.prepared // 2 // args.crowd)
    warm, _ = crowds(app, tokens, args, 0, warm_crowds, rng)
    planned = [crowds(app, tokens, args, warm_crowds + r * per_round, per_round, rng) for r in range(args.rounds)]
    if url.startswith("postgresql"):
        settle(url)
    bare = [("GET", "/healthz", None, {})] * (args.prepared * 10)
    # Warm every worker: its first claims prepare the statements. Not measured.
    drive_wrk(port, warm, args.concurrency, 1, warm_up=True)
    drive_wrk(port, bare, args.concurrency, 1)
    totals: dict[str, list[dict]] = {"claim": [], "bare": []}
    outcomes: Counter[str] = Counter()
    winners: Counter[int] = Counter()
    for index, (calls, titles) in enumerate(planned):
        for label, batch in (("claim", calls), ("bare", bare)):
            result = drive_wrk(port, batch, args.concurrency, args.duration, answers=label == "claim")
            totals[label].append(result)
            print(f"  round {index + 1} {label:<6} {result['requests'] / result['duration_us'] * 1e6:8.1f} req/s  "
                  f"p50 {result['p50_us'] / 1000:6.1f} ms  p99 {result['p99_us'] / 1000:6.1f} ms  "
                  f"max {result['max_us'] / 1000:6.1f} ms")
            if label == "claim":
                outcomes.update({f"{status} {code}".strip(): count for status, code, count in _outcomes(result)})
                winners.update({titles[title]: count for title, count in result["winners"].items()})
    figures = {}
    for label, rounds in totals.items():
        requests_sent = sum(r["requests"] for r in rounds)
        figures[label] = {
            "requests": requests_sent,
            "throughput": requests_sent / (sum(r["duration_us"] for r in rounds) / 1e6),
            # wrk reports percentiles per round; the worst round's stands for the run.
            "p50": max(r["p50_us"] for r in rounds) / 1000,
            "p99": max(r["p99_us"] for r in rounds) / 1000,
            "errors": sum(r["errors"] for r in rounds),
            "statuses": Counter(),
        }
        for r in rounds:
            figures[label]["statuses"].update({int(k): v for k, v in r["statuses"].items()})
    return figures["claim"], figures["bare"], outcomes, winners


def _outcomes(result: dict):
    """(status, error code, count) from one wrk round: the 200s, and the refusals by status and code."""
    yield 200, "", result["statuses"].get("200", 0)
    for key, count in result["codes"].items():
        status, _, code = key.partition(" ")
        yield int(status), code, count



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


def run_python(app, tokens: list[str], args, base: str) -> tuple[dict, dict, Counter, Counter]:
    """The former client: a Python thread pool, all the bare requests, then one crowd (all people) per
    round with a barrier between rounds."""
    client = Client(base, args.concurrency)
    rng = random.Random(4)
    client.run([("GET", "/healthz", None)] * 200)  # warm up connections and workers
    bare_wall, bare = client.run([("GET", "/healthz", None)] * (args.people * args.rounds))
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

    def figures(wall: float, results: list) -> dict:
        latencies = [r[0] * 1000 for r in results]
        return {"requests": len(results), "throughput": len(results) / wall, "p50": statistics.median(latencies),
                "p99": percentile(latencies, 0.99), "errors": 0, "statuses": Counter(r[1] for r in results)}

    outcomes = Counter(f"{status} {code}".strip() for _, status, code in claim_results)
    return figures(claim_wall, claim_results), figures(bare_wall, bare), outcomes, winners


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
    profiler = [str(bin_dir / "py-spy"), "record", "--subprocesses", "--gil", "--format", "raw", "--rate", "200",
                "-o", args.profile, "--"] if args.profile else []
    server = subprocess.Popen(
        [*profiler, str(bin_dir / "gunicorn"), "-c", "config/gunicorn.conf.py", "--workers", str(args.workers),
         "--worker-class", args.worker_class, "--threads", str(args.threads), "--bind", f"127.0.0.1:{args.port}",
         "--log-level", "warning", "app:create_app()"],
        cwd=ROOT, env={**os.environ, **env}, start_new_session=True,
    )
    try:
        wait_for(f"{base}/healthz")
        if args.driver == "wrk":
            claim, bare, outcomes, winners = run_wrk(app, tokens, args, args.port, url)
        else:
            claim, bare, outcomes, winners = run_python(app, tokens, args, base)
    finally:
        # To the whole group: SIGTERM lets gunicorn finish its requests; SIGINT makes py-spy (when
        # profiling) write its file.
        os.killpg(server.pid, signal.SIGINT if args.profile else signal.SIGTERM)
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

    double_answers = sum(1 for count in winners.values() if count > 1)
    double_rows = sum(1 for _, count in per_wish if count > 1) + sum(1 for _, count in claim_rows if count > 1)
    backend = make_url(url).get_backend_name()
    load = (f"wrk, {args.rounds} alternating rounds of {args.duration} s, crowds of {args.crowd} people x "
            f"{args.wishes} wishes" if args.driver == "wrk" else f"Python threads, {args.rounds} crowds of everyone x "
            f"{args.wishes} wishes")
    print(f"claims benchmark: gunicorn {args.workers} workers x {args.threads} threads ({args.worker_class}), {backend}, "
          f"{args.people} people, {args.concurrency} concurrent clients ({load}), cap {args.limit}; "
          f"load average {os.getloadavg()[0]:.2f}")
    print(f"{'endpoint':<34}{'requests':>9}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}")
    for label, figures in (("GET /healthz (bare)", bare), ("POST /api/mp/wishes/<id>/claim", claim)):
        print(f"{label:<34}{figures['requests']:>9}{figures['throughput']:>10.0f}{figures['p50']:>10.1f}"
              f"{figures['p99']:>10.1f}")
    ratio = claim["throughput"] / bare["throughput"]
    print(f"claim throughput / bare throughput: {ratio:.2f}")
    print("claim outcomes: " + ", ".join(f"{k} x {v}" for k, v in sorted(outcomes.items())))
    print(f"wishes claimed: {len(per_wish)} in the database, {len(winners)} seen answered 200")
    print(f"double winners: {double_answers} (answers), {double_rows} (database)")
    print(f"people over the cap of {args.limit}: {len(over_cap)}")
    errors = sum(v for k, v in outcomes.items() if not k.startswith(("200", "409"))) + claim["errors"] + bare["errors"]
    errors += sum(v for k, v in bare["statuses"].items() if k != 200)
    checks = {
        f"claim throughput >= {TARGET_RATIO:g} of bare ({ratio:.2f})": ratio >= TARGET_RATIO,
        f"claim p99 < {TARGET_P99_MS:.0f} ms at {args.concurrency} clients ({claim['p99']:.1f} ms)":
            claim["p99"] < TARGET_P99_MS,
        "0 double winners (answers and database)": not double_answers and not double_rows,
        f"nobody over the cap of {args.limit}": not over_cap,
        f"no answer but 200 or 409 ({errors} others)": errors == 0,
    }
    for name, ok in checks.items():
        print(f"  [{'PASS' if ok else 'FAIL'}] {name}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
