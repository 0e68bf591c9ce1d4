"""Outbox benchmark: N messages over R group robots, the robot limit scaled from a minute to seconds.

Starts the WeChat sandbox and the dispatcher(s) as separate processes (as in production), with the
same limit and window in both, queues the messages, lets ``flask outbox dispatch --once`` drain them,
then reads what the sandbox received and prints:

- delivered / duplicates (by content, each message is unique),
- limit violations: for every robot, any rolling window (not fixed buckets) holding more than the
  limit, measured from the sandbox's receive times, plus the sandbox's own 45009 refusals,
- time taken (first to last receive) against the theoretical minimum: a robot with n messages needs
  at least (ceil(n / limit) - 1) windows between its first and last message.

    .venv/bin/python bench/outbox.py                       # 1000 messages, 10 robots, 20 per 5 s, SQLite
    DATABASE_URL=postgresql+psycopg://…/test_x .venv/bin/python bench/outbox.py --dispatchers 2
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import wait_for, wipe_schema  # noqa: E402

from sandbox.analysis import duplicates, violations_by_target  # noqa: E402

FLASK = [str(Path(sys.executable).parent / "flask"), "--app", "app"]


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.load(response)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--robots", type=int, default=10)
    parser.add_argument("--limit", type=int, default=20, help="messages per robot per window (WeCom: 20)")
    parser.add_argument("--window", type=float, default=5.0, help="window in seconds (WeCom: 60)")
    parser.add_argument("--dispatchers", type=int, default=1, help="more than one needs PostgreSQL")
    parser.add_argument("--port", type=int, default=9510, help="sandbox port")
    parser.add_argument("--verbose", action="store_true", help="per-robot start offsets and bursts")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="bench-outbox-"))
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{workdir / 'bench.db'}"
    if args.dispatchers > 1 and database_url.startswith("sqlite"):
        raise SystemExit("多个发送进程需要 PostgreSQL：请设置 DATABASE_URL（库名须含 test）。")
    sandbox_url = f"http://127.0.0.1:{args.port}"
    env = {
        **os.environ,
        "APP_ENV": "development",
        "DATABASE_URL": database_url,
        "WECHAT_API_BASE": sandbox_url,
        "WECOM_CORP_ID": "ww-bench",
        "WECOM_SECRET": "ww-bench-secret",
        "WECOM_AGENT_ID": "1000002",
        "LOG_LEVEL": "WARNING",
        "OUTBOX_ROBOT_LIMIT": str(args.limit),
        "OUTBOX_ROBOT_WINDOW_SECONDS": str(args.window),
        # The production margin (0.5 s of 60 s), scaled with the window.
        "OUTBOX_WINDOW_MARGIN_SECONDS": str(args.window * 0.5 / 60),
        "PYTHONUNBUFFERED": "1",
    }
    os.environ.update(env)

    from app import create_app
    from app.extensions import db
    from app.models import PushTarget
    from app.services import outbox

    if database_url.startswith("postgresql"):
        wipe_schema(database_url)
    subprocess.run([*FLASK, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)

    app = create_app()
    with app.app_context():
        robots = [PushTarget(name=f"基准群{i}", kind="robot", address=f"bench-key-{i:02d}") for i in range(args.robots)]
        db.session.add_all(robots)
        db.session.commit()
        for n in range(args.messages):
            robot = robots[n % args.robots]
            outbox.enqueue(db.session, dedup_key=f"bench:{n}", channel="robot", address=str(robot.id),
                           payload=outbox.text(f"基准消息 {n}"))
        db.session.commit()
        per_robot = [args.messages // args.robots + (1 if i < args.messages % args.robots else 0)
                     for i in range(args.robots)]
        db.engine.dispose()

    sandbox = subprocess.Popen(
        [*FLASK, "wechat-sandbox", "--port", str(args.port), "--robot-limit", str(args.limit),
         "--robot-window", str(args.window)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(f"{sandbox_url}/_sandbox/stats")
        started = time.monotonic()
        dispatchers = [subprocess.Popen([*FLASK, "outbox", "dispatch", "--once"], cwd=ROOT, env=env,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                       for _ in range(args.dispatchers)]
        outputs = [d.communicate(timeout=600)[0] for d in dispatchers]
        wall = time.monotonic() - started
        received = get_json(f"{sandbox_url}/_sandbox/messages?channel=robot")["messages"]
        rejections = get_json(f"{sandbox_url}/_sandbox/stats")["rejections"]
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=10)

    contents = {m["body"]["text"]["content"] for m in received}
    dupes = duplicates(received, lambda m: m["body"]["text"]["content"])
    violations = violations_by_target(received, args.limit, args.window)
    stamps = [m["received_at"] for m in received]
    span = max(stamps) - min(stamps) if stamps else 0.0
    minimum = max((math.ceil(n / args.limit) - 1) * args.window for n in per_robot)
    ratio = span / minimum if minimum else float("nan")

    print(f"outbox benchmark: {args.messages} messages, {args.robots} robots, limit {args.limit} per "
          f"{args.window:g} s window, {args.dispatchers} dispatcher(s), {database_url.split(':', 1)[0]}")
    for output in outputs:
        print(f"  dispatcher: {output.strip().splitlines()[-1] if output.strip() else '(no output)'}")
    print(f"delivered:           {len(contents)}/{args.messages}")
    print(f"duplicates:          {dupes}")
    print(f"limit violations:    {sum(violations.values())} (rolling-window check on sandbox receive times)")
    print(f"sandbox 45009:       {rejections.get('45009', 0)}")
    print(f"time taken:          {span:.2f} s first-to-last delivery ({wall:.2f} s wall incl. process start)")
    print(f"theoretical minimum: {minimum:.2f} s")
    print(f"ratio:               {ratio * 100:.1f} % of the minimum (target <= 110 %)")
    ok = len(contents) == args.messages and dupes == 0 and not violations and ratio <= 1.10
    if args.verbose:
        origin = min(stamps)
        for target in sorted({m["target"] for m in received}):
            times = sorted(m["received_at"] - origin for m in received if m["target"] == target)
            bursts = [f"{times[i]:.2f}-{times[min(i + args.limit, len(times)) - 1]:.2f}"
                      for i in range(0, len(times), args.limit)]
            print(f"  {target}: {' '.join(bursts)}")
    print("RESULT:", "PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
