"""Votes under contention, next to a bare endpoint on the same server.

Starts gunicorn on a fresh database with one selection in its voting phase (20 approved entries,
K votes per voter), binds many voters, and sends every voter's votes at once: each voter asks for
K + 2 different entries and repeats one of them, all interleaved, so each voter's requests race each
other. The same number of ``GET /healthz`` requests (one ``SELECT 1``) with the same client
concurrency is the baseline. Afterwards it counts voters over the cap and duplicate votes, both in
the answers and in the database. Both must be 0.

    .venv/bin/python bench/votes.py                         # SQLite file under bench/out/
    .venv/bin/python bench/votes.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test_bench

A PostgreSQL database's name must contain "test": its public schema is dropped first.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import subprocess
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.claims import Client, row, settings  # noqa: E402
from bench.common import prepare_database, wait_for  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import ApiSession, Department, MiniProgramAccount, Staff, Vote  # noqa: E402
from app.models.base import utcnow  # noqa: E402
from app.services import audit, selections  # noqa: E402
from app.services.auth import hash_token  # noqa: E402
from config import ProductionConfig  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="", help="default: a fresh SQLite file under bench/out/")
    parser.add_argument("--port", type=int, default=9402)
    parser.add_argument("--workers", type=int, default=0, help="gunicorn sync workers (default: the config file's)")
    parser.add_argument("--voters", type=int, default=500)
    parser.add_argument("--entries", type=int, default=20)
    parser.add_argument("--votes", type=int, default=3, help="K: votes per voter")
    parser.add_argument("--concurrency", type=int, default=32, help="client threads")
    return parser.parse_args()


def set_up(voters: int, entries: int, k: int) -> tuple[int, list[int], list[str]]:
    now = utcnow()
    departments = [Department(name=f"压测部门{i}") for i in range(5)]
    db.session.add_all(departments)
    db.session.commit()
    draft = selections.SelectionDraft(
        title="压测评选", kind="honour", nominate_from=now - timedelta(hours=3), nominate_until=now - timedelta(hours=2),
        vote_from=now - timedelta(hours=1), vote_until=now + timedelta(hours=2), votes_per_voter=k,
    )
    selection = selections.create_selection(db.session, draft, audit.Actor.system(), None)
    selections.publish_selection(db.session, selection.id, audit.Actor.system())
    nominees = [Staff(name=f"候选{i}", employee_no=f"N{i:04d}", department=departments[i % 5]) for i in range(entries)]
    db.session.add_all(nominees)
    db.session.commit()
    # Nominations are made in their phase: open it for the set-up, then move to voting.
    selection.nominate_from, selection.nominate_until = now - timedelta(hours=3), now + timedelta(hours=1)
    selection.vote_from, selection.vote_until = now + timedelta(hours=1), now + timedelta(hours=2)
    db.session.commit()
    entry_ids = [
        selections.nominate(db.session, selection.id, selections.Nomination("person", "压测", staff_id=n.id),
                            audit.Actor.system()).id
        for n in nominees
    ]
    selection.nominate_until, selection.vote_from = now - timedelta(hours=2), now - timedelta(hours=1)
    db.session.commit()
    tokens = []
    for i in range(voters):
        staff = Staff(name=f"投票{i}", employee_no=f"V{i:05d}", department=departments[i % 5])
        token = secrets.token_urlsafe(32)
        account = MiniProgramAccount(openid=f"bench-vote-{i}", staff=staff, bound_at=now)
        db.session.add_all([staff, account, ApiSession(token_hash=hash_token(token), account=account,
                                                       expires_at=now + timedelta(days=1))])
        tokens.append(token)
    db.session.commit()
    return selection.id, entry_ids, tokens


def main() -> int:
    args = parse_args()
    url = prepare_database(args.database_url, "votes")
    env = settings(url, 2, ROOT / "bench" / "out" / "uploads")
    os.environ.update(env)
    app = create_app(ProductionConfig())
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        selection_id, entry_ids, tokens = set_up(args.voters, args.entries, args.votes)

    rng = random.Random(7)
    calls, intended = [], []
    for voter, token in enumerate(tokens):
        picks = rng.sample(entry_ids, args.votes + 2)
        for entry in picks + [picks[0]]:  # K + 2 entries and one repeat
            calls.append(("POST", f"/api/mp/selections/{selection_id}/entries/{entry}/vote", token))
            intended.append(voter)
    order = list(range(len(calls)))
    rng.shuffle(order)
    calls, intended = [calls[i] for i in order], [intended[i] for i in order]

    base = f"http://127.0.0.1:{args.port}"
    workers = ["--workers", str(args.workers)] if args.workers else []
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-c", "config/gunicorn.conf.py", *workers,
         "--bind", f"127.0.0.1:{args.port}", "--log-level", "warning", "app:create_app()"],
        cwd=ROOT, env={**os.environ, **env},
    )
    try:
        wait_for(f"{base}/healthz")
        client = Client(base, args.concurrency)
        client.run([("GET", "/healthz", None)] * 200)  # warm up connections and workers
        bare_wall, bare = client.run([("GET", "/healthz", None)] * len(calls))
        vote_wall, results = client.run(calls)
    finally:
        server.terminate()
        server.wait(timeout=30)

    with app.app_context():
        per_voter = db.session.execute(
            select(Vote.voter_id, func.count()).where(Vote.selection_id == selection_id).group_by(Vote.voter_id)
        ).all()
        duplicates = db.session.execute(
            select(Vote.voter_id, Vote.entry_id).group_by(Vote.voter_id, Vote.entry_id).having(func.count() > 1)
        ).all()
        stored = db.session.scalar(select(func.count()).select_from(Vote))
        db.engine.dispose()

    accepted = Counter(voter for voter, (_, status, _) in zip(intended, results, strict=True) if status == 201)
    outcomes = Counter(f"{status} {code}".strip() for _, status, code in results)
    over_answers = sum(1 for count in accepted.values() if count > args.votes)
    over_rows = sum(1 for _, count in per_voter if count > args.votes)
    backend = make_url(url).get_backend_name()
    print(f"votes benchmark: gunicorn (config/gunicorn.conf.py), {backend}, {args.voters} voters x "
          f"{args.votes + 3} requests (K={args.votes}) over {args.entries} entries, {args.concurrency} client threads")
    print(f"{'endpoint':<34}{'requests':>9}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}")
    print(row("GET /healthz (bare)", bare_wall, bare))
    print(row("POST …/entries/<id>/vote", vote_wall, results))
    print(f"vote throughput / bare throughput: {(len(results) / vote_wall) / (len(bare) / bare_wall):.2f}")
    print("vote outcomes: " + ", ".join(f"{k} x {v}" for k, v in sorted(outcomes.items())))
    print(f"votes stored: {stored} (expected {args.voters * args.votes})")
    print(f"voters over the cap of {args.votes}: {over_answers} (answers), {over_rows} (database)")
    print(f"duplicate votes (one voter, one entry): {len(duplicates)} (database)")
    errors = [o for o in outcomes if not o.startswith(("201", "409"))]
    ok = not (over_answers or over_rows or duplicates or errors) and stored == args.voters * args.votes
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
