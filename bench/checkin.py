"""Benchmark: QR sign-in throughput and latency against a bare endpoint on the same server.

Starts the service under gunicorn on PostgreSQL with the WeChat sandbox, binds N people through the
real login and bind API, then drives concurrent sign-ins (one per person) from a separate process,
then drives the bare ``/healthz`` endpoint the same way, and prints throughput, p50/p99 and ratios,
errors and records per person.

    .venv/bin/python bench/checkin.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test_bench

The database's name must contain "test": its ``public`` schema is dropped and rebuilt.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from multiprocessing import get_context
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import drive_wrk, settle, wait_for, wipe_schema  # noqa: E402

TARGET_RATIO = 0.5  # issue 17: sign-in throughput at least half the bare endpoint's
TARGET_P99_MS = 100.0
WARM_UP_PEOPLE = 300


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"), help="or BENCH_DATABASE_URL")
    parser.add_argument("--people", type=int, default=8000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--port", type=int, default=9310)
    parser.add_argument("--sandbox-port", type=int, default=9311)
    # Sync workers, one more than the cores: behind nginx (which buffers and keeps client connections
    # alive) this is gunicorn's standard set-up, and it gave the tightest tail here (see README).
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 2) + 1)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--worker-class", default="sync", choices=("sync", "gthread"))
    parser.add_argument("--rounds", type=int, help="alternating rounds of sign-in and bare requests (python 4, wrk 2)")
    parser.add_argument(
        "--driver",
        choices=("wrk", "python"),
        default="wrk" if shutil.which("wrk") else "python",
        help="load generator: wrk (C, little client CPU; Debian package wrk) or a Python thread pool",
    )
    parser.add_argument("--duration", type=int, default=2, help="whole seconds per round with --driver wrk")
    args = parser.parse_args()
    if args.rounds is None:
        args.rounds = 2 if args.driver == "wrk" else 4
    if not args.database_url:
        parser.error("give --database-url (or BENCH_DATABASE_URL): a PostgreSQL database whose name contains 'test'")
    return args


# ---- the load generator (runs in its own process) ---------------------------------------------------


def drive(port: int, requests: list[tuple[str, str, str | None, dict[str, str]]], concurrency: int):
    """Send every (method, path, body, headers) over ``concurrency`` keep-alive connections.

    Returns (elapsed seconds, latencies in ms, status counts, exceptions)."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    failures: list[str] = []
    lock = threading.Lock()
    cursor = iter(range(len(requests)))
    start_gate = threading.Barrier(concurrency)

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        start_gate.wait()
        mine, codes, errors = [], {}, []
        while True:
            with lock:
                index = next(cursor, None)
            if index is None:
                break
            method, path, body, headers = requests[index]
            began = time.perf_counter()
            try:
                connection.request(method, path, body=body, headers=headers)
                response = connection.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException) as exc:
                errors.append(repr(exc))
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            mine.append((time.perf_counter() - began) * 1000)
            codes[status] = codes.get(status, 0) + 1
        connection.close()
        with lock:
            latencies.extend(mine)
            failures.extend(errors)
            for code, count in codes.items():
                statuses[code] = statuses.get(code, 0) + count

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - began, latencies, statuses, failures


def run_wrk_rounds(args, port: int, checkins: list, bare: list, warmed_up: list) -> tuple[dict, dict]:
    """Alternate rounds of sign-ins (a fresh slice of people each) and the bare endpoint."""
    totals = {"sign-in": [], "bare": []}
    # Warm every worker: its first sign-ins read the event and prepare the statements. The people used
    # here are not measured; repeats of the last one answer 200 (already signed in).
    warm, checkins = checkins[:WARM_UP_PEOPLE], checkins[WARM_UP_PEOPLE:]
    drive_wrk(port, warm, args.concurrency, 1, warm_up=True)
    warmed_up.extend(json.loads(body)["nonce"] for _, _, body, _ in warm)
    drive_wrk(port, bare, args.concurrency, 1)
    for index in range(args.rounds):
        for label, batch in (("sign-in", checkins[index::args.rounds]), ("bare", bare)):
            result = drive_wrk(port, batch, args.concurrency, args.duration)
            totals[label].append(result)
            print(f"  round {index + 1} {label:<8} {result['requests'] / result['duration_us'] * 1e6:8.1f} req/s  "
                  f"p50 {result['p50_us'] / 1000:6.1f} ms  p99 {result['p99_us'] / 1000:6.1f} ms  max {result['max_us'] / 1000:6.1f} ms")
    figures = {}
    for label, rounds in totals.items():
        requests = sum(r["requests"] for r in rounds)
        seconds = sum(r["duration_us"] for r in rounds) / 1e6
        statuses: dict[int, int] = {}
        for r in rounds:
            for code, count in r["statuses"].items():
                statuses[int(code)] = statuses.get(int(code), 0) + count
        figures[label] = {
            "throughput": requests / seconds,
            # wrk reports percentiles per round; the worst round's stands for the run.
            "p50": max(r["p50_us"] for r in rounds) / 1000,
            "p99": max(r["p99_us"] for r in rounds) / 1000,
            "statuses": statuses,
            "failures": sum(r["errors"] for r in rounds),
        }
        print(
            f"{label:<9} {requests:>6} requests in {seconds:6.2f} s  {figures[label]['throughput']:8.1f} req/s  "
            f"p50 {figures[label]['p50']:6.1f} ms  p99 {figures[label]['p99']:6.1f} ms  statuses {statuses}  "
            f"socket errors {figures[label]['failures']}  (wrk, worst of {len(rounds)} rounds)"
        )
    return figures["sign-in"], figures["bare"]


# ---- set-up ------------------------------------------------------------------------------------------


def http_json(port: int, method: str, path: str, body: dict | None = None, headers: dict | None = None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        data = json.dumps(body).encode() if body is not None else None
        connection.request(method, path, body=data, headers={"Content-Type": "application/json", **(headers or {})})
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        connection.close()


def bind_everyone(port: int, people: list[tuple[str, str]]) -> list[str]:
    def bind(person: tuple[str, str]) -> str:
        name, employee_no = person
        status, body = http_json(port, "POST", "/api/mp/login", {"code": f"test:bench-{employee_no}"})
        assert status == 200, body
        token = body["token"]
        status, body = http_json(port, "POST", "/api/mp/bind", {"name": name, "employee_no": employee_no},
                                 {"Authorization": f"Bearer {token}"})
        assert status == 200, body
        return token

    with ThreadPoolExecutor(max_workers=16) as pool:
        return list(pool.map(bind, people))


def probe_commit_latency(url: str, samples: int = 300) -> str:
    """The database's own durable-commit latency during the run: the floor under every sign-in."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    commits, selects = [], []
    with engine.connect() as connection:
        connection.execute(text("CREATE TABLE bench_probe (id serial PRIMARY KEY, v integer)"))
        connection.commit()
        for value in range(samples):
            began = time.perf_counter()
            connection.execute(text("INSERT INTO bench_probe (v) VALUES (:v)"), {"v": value})
            connection.commit()
            commits.append((time.perf_counter() - began) * 1000)
            began = time.perf_counter()
            connection.execute(text("SELECT 1"))
            connection.commit()
            selects.append((time.perf_counter() - began) * 1000)
        connection.execute(text("DROP TABLE bench_probe"))
        connection.commit()
    engine.dispose()
    commits.sort()
    selects.sort()
    p99 = int(samples * 0.99)
    return (f"PostgreSQL alone: INSERT+COMMIT p50 {commits[samples // 2]:.2f} ms p99 {commits[p99]:.2f} ms; "
            f"SELECT 1 p50 {selects[samples // 2]:.2f} ms p99 {selects[p99]:.2f} ms")


def summarise(label: str, elapsed: float, latencies: list[float], statuses: dict, failures: list) -> dict:
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] if ordered else float("nan")
    figures = {
        "throughput": len(latencies) / elapsed if elapsed else 0.0,
        "p50": statistics.median(ordered) if ordered else float("nan"),
        "p99": p99,
        "statuses": statuses,
        "failures": len(failures),
    }
    print(
        f"{label:<9} {len(latencies):>6} requests in {elapsed:6.2f} s  {figures['throughput']:8.1f} req/s  "
        f"p50 {figures['p50']:6.1f} ms  p99 {figures['p99']:6.1f} ms  statuses {statuses}  "
        f"connection errors {len(failures)}"
    )
    return figures


def main() -> int:
    args = parse_args()
    from config import normalise_database_url

    database_url = normalise_database_url(args.database_url)
    wipe_schema(database_url)

    from sandbox import SandboxSettings
    from sandbox.server import SandboxServer

    env = dict(os.environ)
    env.update(
        APP_ENV="production",
        CHECKIN_URL_BASE="https://bench.invalid/qr/checkin",
        DATABASE_URL=database_url,
        SECRET_KEY=secrets.token_urlsafe(48),
        WECHAT_APPID="wx-bench",
        WECHAT_SECRET="wx-bench-secret",
        WECHAT_API_BASE=f"http://127.0.0.1:{args.sandbox_port}",
        LOGIN_RATE_LIMIT_PER_ADDRESS="1000000/minute",
        BIND_RATE_LIMIT_PER_ADDRESS="1000000/minute",  # every bench person binds from this one address
        LOG_LEVEL="WARNING",
        RATELIMIT_ALLOW_PER_PROCESS="1",  # production refuses memory:// limits otherwise
        WECHAT_API_BASE_ALLOW_HTTP="1",  # the sandbox on loopback
    )
    flask = [str(Path(sys.executable).parent / "flask"), "--app", "app"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)

    # Roster and event, through the project's own services.
    os.environ.update(env)
    from app import create_app
    from app.extensions import db
    from app.services import audit, checkin_codes, events, roster
    from app.models.base import utcnow
    from datetime import timedelta

    app = create_app()
    people = [(f"压测{n:05d}", f"B{n:05d}") for n in range(args.people)]
    with app.app_context():
        rows = [roster.RosterRow(i + 2, name, no, "压测部门", None, None) for i, (name, no) in enumerate(people)]
        roster.import_roster(db.session, rows, audit.Actor.system())
        start = utcnow() + timedelta(minutes=10)
        event = events.create_event(
            db.session,
            # The printed code (the poster's), so every request carries the same code: a 道德讲堂 would
            # otherwise take only the screen's rotating one.
            events.EventDraft(kind="道德讲堂", title="压测道德讲堂", starts_at=start, ends_at=start + timedelta(hours=1),
                              live_code_only=False),
            audit.Actor.system(),
        )
        event_id = event.id
        qr = checkin_codes.code_url(checkin_codes.printed_token(event_id, "in"))
        db.engine.dispose()

    sandbox = SandboxServer(SandboxSettings(wechat_appid="wx-bench", wechat_secret="wx-bench-secret"),
                            port=args.sandbox_port).start()
    gunicorn = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-c", "config/gunicorn.conf.py", "--workers", str(args.workers),
         "--threads", str(args.threads), "--worker-class", args.worker_class, "--bind", f"127.0.0.1:{args.port}", "--log-level", "warning", "app:create_app()"],
        cwd=ROOT, env=env,
    )
    try:
        wait_for(f"http://127.0.0.1:{args.port}/healthz")
        began = time.perf_counter()
        tokens = bind_everyone(args.port, people)
        print(f"bound {len(tokens)} people through /api/mp/login and /api/mp/bind in {time.perf_counter() - began:.1f} s")

        def signin(token: str, body: dict) -> tuple[str, str, str, dict[str, str]]:
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            return ("POST", "/api/mp/checkins", json.dumps(body), headers)

        warmup = [signin(token, {"qr": "p.0.i.AAAAAAAAAAAAAAAA", "nonce": secrets.token_hex(8)}) for token in tokens[:400]]
        warmup += [("GET", "/healthz", None, {})] * 400
        checkins = [signin(token, {"qr": qr, "nonce": secrets.token_hex(8)}) for token in tokens]
        bare = [("GET", "/healthz", None, {})] * len(tokens)

        settle(database_url)
        print(f"gunicorn: {args.workers} workers x {args.threads} threads ({args.worker_class}); load: {args.concurrency} "
              f"concurrent keep-alive clients in a separate process ({args.driver}), {args.rounds} alternating rounds; "
              f"load average {os.getloadavg()[0]:.2f}")
        if args.driver == "wrk":
            warmed_up: list[str] = []
            signin_figures, bare_figures = run_wrk_rounds(args, args.port, checkins, bare * 20, warmed_up)
            print(probe_commit_latency(database_url))
            return finish(args, app, event_id, signin_figures, bare_figures, warmed_up)
        # Alternate rounds of each so that other load on the machine affects both alike.
        rounds = args.rounds
        totals = {"sign-in": [0.0, [], {}, []], "bare": [0.0, [], {}, []]}
        with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as load:
            load.submit(drive, args.port, warmup, args.concurrency).result()
            for index in range(rounds):
                for label, batch in (("sign-in", checkins[index::rounds]), ("bare", bare[index::rounds])):
                    elapsed, latencies, statuses, failures = load.submit(drive, args.port, batch, args.concurrency).result()
                    total = totals[label]
                    total[0] += elapsed
                    total[1].extend(latencies)
                    total[3].extend(failures)
                    for code, count in statuses.items():
                        total[2][code] = total[2].get(code, 0) + count
        print(probe_commit_latency(database_url))
        signin_figures = summarise("sign-in", *totals["sign-in"])
        bare_figures = summarise("bare", *totals["bare"])
    finally:
        gunicorn.terminate()
        gunicorn.wait(timeout=30)
        sandbox.stop()

    return finish(args, app, event_id, signin_figures, bare_figures, [])


def finish(args, app, event_id: int, signin_figures: dict, bare_figures: dict, warm_up_nonces: list[str]) -> int:
    """Count records per person, print ratios and the targets, and answer the exit status."""
    from app.extensions import db

    with app.app_context():
        from sqlalchemy import func, select

        from app.models import Checkin

        per_person = db.session.execute(
            select(Checkin.staff_id, func.count()).where(Checkin.event_id == event_id).group_by(Checkin.staff_id)
        ).all()
        # People signed in by the warm-up are not measured; their records still count once each.
        warmed = db.session.scalar(
            select(func.count()).where(Checkin.event_id == event_id, Checkin.nonce.in_(warm_up_nonces))
        ) if warm_up_nonces else 0
        db.engine.dispose()
    counts = {count for _, count in per_person}
    errors = sum(v for k, v in signin_figures["statuses"].items() if k != 201) + signin_figures["failures"]
    errors += sum(v for k, v in bare_figures["statuses"].items() if k != 200) + bare_figures["failures"]
    ratio = signin_figures["throughput"] / bare_figures["throughput"]
    print(f"throughput ratio sign-in/bare {ratio:.2f} (target >= {TARGET_RATIO:.2f}); "
          f"p99 ratio sign-in/bare {signin_figures['p99'] / bare_figures['p99']:.2f}")
    signed_in = signin_figures["statuses"].get(201, 0)
    # wrk stops on the clock: requests in flight at that moment are recorded by the server but never
    # counted by wrk, at most one per connection per round.
    in_flight = args.concurrency * args.rounds if args.driver == "wrk" else 0
    measured = len(per_person) - warmed
    context = f"of {args.people} people bound"
    if args.driver == "wrk":
        context += f", {warmed} more signed in by the warm-up; up to {in_flight} more were in flight when wrk stopped"
    print(f"records: {measured} measured people with a record, {signed_in} sign-ins answered 201 ({context}); "
          f"records per person {sorted(counts)}")
    print(f"errors: {errors}")
    checks = {
        f"sign-in throughput >= {TARGET_RATIO:g} of bare ({ratio:.2f})": ratio >= TARGET_RATIO,
        f"sign-in p99 < {TARGET_P99_MS:.0f} ms at {args.concurrency} clients ({signin_figures['p99']:.1f} ms)":
            signin_figures["p99"] < TARGET_P99_MS,
        "zero errors": errors == 0,
        "exactly one record per person": signed_in <= measured <= signed_in + in_flight and counts == {1},
    }
    for name, ok in checks.items():
        print(f"  [{'PASS' if ok else 'FAIL'}] {name}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
