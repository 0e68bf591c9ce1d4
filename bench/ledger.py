"""The inspection pack under load: builds a year with 300 events, 20,000 sign-ins, 2,000 photos and
200 documents, then runs ``flask ledger export`` in a separate process and prints its wall time and
peak memory (the child's maximum resident set size), with the pack's size and file count. The target
is under 300 MB whatever the number of photos: run with ``--photos 500`` and ``--photos 2000`` and
compare the peaks side by side (``--compare`` does both in one run).

    .venv/bin/python bench/ledger.py                    # SQLite file and uploads under bench/out/
    .venv/bin/python bench/ledger.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test_bench
    .venv/bin/python bench/ledger.py --compare          # the same year with a quarter of the photos, then all

A PostgreSQL database's name must contain "test": its public schema is dropped first.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import resource
import secrets
import shutil
import subprocess
import sys
import time
import zipfile
from datetime import date, time as clock, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.ledger_plan import DEFAULT_ITEM_BY_KIND  # noqa: E402
from app.models import Checkin, Department, Event, LedgerDocument, Staff  # noqa: E402
from app.models.events import DIRECTION_IN, DIRECTION_OUT, METHOD_MANUAL  # noqa: E402
from app.services import audit  # noqa: E402
from app.services.ledger import plan  # noqa: E402
from app.timeutil import local_datetime  # noqa: E402
from bench.common import wipe_schema  # noqa: E402
from config import TestingConfig, normalise_database_url  # noqa: E402

YEAR = 2026
OUT = ROOT / "bench" / "out"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="", help="default: a fresh SQLite file under bench/out/")
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument("--signins", type=int, default=20_000)
    parser.add_argument("--photos", type=int, default=2_000)
    parser.add_argument("--documents", type=int, default=200)
    parser.add_argument("--people", type=int, default=600)
    parser.add_argument("--photo-kb", type=int, default=150, help="approximate size of each photo")
    parser.add_argument("--compare", action="store_true", help="also export with a quarter of the photos")
    return parser.parse_args()


def environment(url: str, uploads: Path) -> dict[str, str]:
    return {**os.environ, "APP_ENV": "testing", "DATABASE_URL": url, "SECRET_KEY": "bench-secret-key",
            "UPLOAD_FOLDER": str(uploads), "LOG_LEVEL": "WARNING"}


def noise_jpeg(kb: int, seed: int) -> bytes:
    """A JPEG of about ``kb`` KB: random pixels do not compress, as real photos barely do."""
    rng = random.Random(seed)
    side = max(64, int((kb * 1024 / 0.75) ** 0.5))  # noise at quality 85: about 0.75 bytes a pixel
    image = Image.frombytes("RGB", (side, side), rng.randbytes(side * side * 3))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def build_year(args: argparse.Namespace, url: str, uploads: Path, photos: int) -> None:
    app = create_app(TestingConfig(DATABASE_URL=url, SECRET_KEY="bench-secret-key", UPLOAD_FOLDER=str(uploads)))
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        departments = [Department(name=f"第{n + 1}科") for n in range(8)]
        db.session.add_all(departments)
        db.session.flush()
        db.session.execute(insert(Staff), [
            {"name": f"职工{n}", "employee_no": f"B{n:05d}", "department_id": departments[n % 8].id, "active": True}
            for n in range(args.people)
        ])
        plan.init_plan(db.session, YEAR, audit.Actor.system())
        items = {item.number: item.id for item in plan.get_plan(db.session, YEAR).items}
        staff_ids = list(db.session.scalars(db.select(Staff.id).order_by(Staff.id)))
        kinds = list(DEFAULT_ITEM_BY_KIND)
        event_rows = []
        for n in range(args.events):
            starts = local_datetime(date(YEAR, 1, 5) + timedelta(days=n * 320 // args.events), clock(14, 30))
            event_rows.append({
                "kind": kinds[n % len(kinds)], "title": f"{kinds[n % len(kinds)]}活动第{n + 1}场", "description": "",
                "starts_at": starts, "ends_at": starts + timedelta(hours=2), "checkin_opens_at": starts - timedelta(minutes=30),
                "checkin_closes_at": starts + timedelta(minutes=30), "status": "published", "reminders": [],
                "checkout_required": kinds[n % len(kinds)] == "志愿服务", "registration_required": False,
                "registered_count": 0, "created_at": starts, "updated_at": starts,
            })
        db.session.execute(insert(Event), event_rows)
        events = db.session.execute(db.select(Event.id, Event.kind, Event.starts_at).order_by(Event.id)).all()
        per_event = args.signins // len(events)
        checkins = []
        for index, (event_id, kind, starts) in enumerate(events):
            for offset in range(per_event):
                staff_id = staff_ids[(index * 7 + offset) % len(staff_ids)]
                checkins.append({"event_id": event_id, "staff_id": staff_id, "direction": DIRECTION_IN, "at": starts,
                                 "method": METHOD_MANUAL})
                if kind == "志愿服务":
                    checkins.append({"event_id": event_id, "staff_id": staff_id, "direction": DIRECTION_OUT,
                                     "at": starts + timedelta(hours=2), "method": METHOD_MANUAL, "credited_minutes": 120})
        for start in range(0, len(checkins), 5000):
            db.session.execute(insert(Checkin), checkins[start:start + 5000])
        folder = uploads / "ledger"
        folder.mkdir(parents=True, exist_ok=True)
        samples = [noise_jpeg(args.photo_kb, seed) for seed in range(8)]
        documents = []
        for n in range(photos):
            event_id, kind, starts = events[n % len(events)]
            name = f"{secrets.token_hex(16)}.jpg"
            (folder / name).write_bytes(samples[n % len(samples)])
            documents.append({"item_id": items[DEFAULT_ITEM_BY_KIND[kind]], "event_id": event_id, "kind": "照片",
                              "title": f"现场照片{n + 1}", "original_name": f"{n + 1}.jpg", "content_type": "image/jpeg",
                              "extension": ".jpg", "size": len(samples[n % len(samples)]), "stored_name": name,
                              "dated": starts.date(), "uploaded_by": "命令行", "uploaded_at": starts})
        pdf = b"%PDF-1.4\n" + random.Random(1).randbytes(100 * 1024) + b"\n%%EOF\n"
        for n in range(args.documents):
            name = f"{secrets.token_hex(16)}.pdf"
            (folder / name).write_bytes(pdf)
            documents.append({"item_id": items[n % 18 + 1], "event_id": None, "kind": "方案", "title": f"材料{n + 1}",
                              "original_name": f"{n + 1}.pdf", "content_type": "application/pdf", "extension": ".pdf",
                              "size": len(pdf), "stored_name": name, "dated": date(YEAR, 1 + n % 11, 1),
                              "uploaded_by": "命令行", "uploaded_at": local_datetime(date(YEAR, 1 + n % 11, 1), clock(9))})
        db.session.execute(insert(LedgerDocument), documents)
        db.session.commit()
        db.engine.dispose()


def prepare(url: str, uploads: Path) -> str:
    shutil.rmtree(uploads, ignore_errors=True)
    if not url:
        OUT.mkdir(parents=True, exist_ok=True)
        path = OUT / "ledger.db"
        path.unlink(missing_ok=True)
        return f"sqlite:///{path}"
    url = normalise_database_url(url)
    wipe_schema(url)
    return url


def export(url: str, uploads: Path, target: Path) -> tuple[float, float]:
    """Run the export in a child process; returns (seconds, peak resident MB of the child)."""
    target.unlink(missing_ok=True)
    command = [sys.executable, "-m", "flask", "--app", "app", "ledger", "export", "--year", str(YEAR), "-o", str(target)]
    script = (
        "import resource, subprocess, sys, time\n"
        "start = time.perf_counter()\n"
        "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "elapsed = time.perf_counter() - start\n"
        "if done.returncode: sys.exit(done.stderr or done.stdout)\n"
        "print(elapsed, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)\n"
    )
    result = subprocess.run([sys.executable, "-c", script, *command], capture_output=True, text=True,
                            env=environment(url, uploads), cwd=ROOT)
    if result.returncode:
        sys.exit(f"export failed: {result.stderr or result.stdout}")
    seconds, peak = result.stdout.split()
    return float(seconds), float(peak)


def run(args: argparse.Namespace, photos: int) -> None:
    uploads = OUT / "ledger-uploads"
    url = prepare(args.database_url, uploads)
    started = time.perf_counter()
    build_year(args, url, uploads, photos)
    built = time.perf_counter() - started
    target = OUT / f"台账{YEAR}.zip"
    seconds, peak = export(url, uploads, target)
    with zipfile.ZipFile(target) as archive:
        files = len(archive.namelist())
    photo_mb = sum(p.stat().st_size for p in (uploads / "ledger").glob("*.jpg")) / 2**20
    print(f"{args.events} events, {args.signins} sign-ins, {photos} photos ({photo_mb:.0f} MB), {args.documents} documents "
          f"(built in {built:.0f} s)")
    print(f"  export: {seconds:.1f} s, peak memory {peak:.0f} MB (target < 300 MB), "
          f"pack {target.stat().st_size / 2**20:.0f} MB with {files} files")


def main() -> None:
    args = parse_args()
    if args.compare:
        run(args, args.photos // 4)
    run(args, args.photos)
    print(f"peak self (builder): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
