"""``make run``: migrate and seed SQLite, start the WeChat sandbox, the web service, the outbox
dispatcher and the scheduler, stop on Ctrl-C.

Every process is a child of this one; Ctrl-C (or SIGTERM) stops them all. Ports come from
``RUN_PORT`` (web, default 8000) and ``SANDBOX_PORT`` (default 8001).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _port(name: str, default: str) -> str:
    value = os.environ.get(name, default).strip()
    if not value.isdigit() or not 1 <= int(value) <= 65535:
        raise SystemExit(f"错误：{name} 应为 1 到 65535 之间的端口号，现在是“{value}”")
    return str(int(value))


def demo_environment() -> dict[str, str]:
    """The demo's settings. Every address the service makes follows the ports it really listens on:
    the sign-in codes and venue-screen links (``CHECKIN_URL_BASE``) and the WeChat base URL."""
    web_port = _port("RUN_PORT", "8000")
    sandbox_port = _port("SANDBOX_PORT", "8001")
    env = dict(os.environ)
    # The sandbox and the placeholder key are for development only: say so whatever the shell has.
    env["APP_ENV"] = "development"
    defaults = {
        "CHECKIN_URL_BASE": f"http://127.0.0.1:{web_port}/qr/checkin",
        "WECHAT_API_BASE": f"http://127.0.0.1:{sandbox_port}",
        "WECHAT_APPID": "wx-demo-appid",
        "WECHAT_SECRET": "wx-demo-secret",
        "WECOM_CORP_ID": "ww-demo-corp",
        "WECOM_AGENT_ID": "1000002",
        "WECOM_SECRET": "ww-demo-secret",
        "WECOM_TOKEN": "demo-callback-token",
        "WECOM_ENCODING_AES_KEY": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
        "PYTHONUNBUFFERED": "1",
    }
    for key, value in defaults.items():
        env.setdefault(key, value)
    env.update(RUN_PORT=web_port, SANDBOX_PORT=sandbox_port)
    return env


def flask(*args: str) -> list[str]:
    return [str(BIN / "flask"), "--app", "app", *args]


def wait_for(url: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return True
        except OSError:
            time.sleep(0.3)
    return False


def main() -> int:
    env = demo_environment()
    (ROOT / "instance").mkdir(exist_ok=True)
    subprocess.run(flask("db", "upgrade"), cwd=ROOT, env=env, check=True)
    subprocess.run(flask("seed-demo"), cwd=ROOT, env=env, check=True)

    web = f"127.0.0.1:{env['RUN_PORT']}"
    processes = {
        "scheduler": flask("scheduler", "run"),
        "web": [str(BIN / "gunicorn"), "-c", "config/gunicorn.conf.py", "--workers", "2", "--bind", web, "--access-logfile", "-", "app:create_app()"],
        "dispatcher": flask("outbox", "dispatch"),
    }
    # The sandbox first, so the dispatcher's first sends do not fail against a port not yet open.
    children = {"sandbox": subprocess.Popen(flask("wechat-sandbox", "--port", env["SANDBOX_PORT"]), cwd=ROOT, env=env)}
    wait_for(f"{env['WECHAT_API_BASE']}/_sandbox/faults", 20)
    subprocess.run(flask("console", "sandbox-users"), cwd=ROOT, env=env, check=False)  # WeCom login's member list
    children.update({name: subprocess.Popen(cmd, cwd=ROOT, env=env) for name, cmd in processes.items()})

    def stop(*_: object) -> None:
        for child in children.values():
            if child.poll() is None:
                child.terminate()
        for child in children.values():
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()

    signal.signal(signal.SIGTERM, lambda *_: (stop(), sys.exit(0)))
    try:
        if not wait_for(f"http://{web}/healthz", 60):
            print("服务未能在 60 秒内就绪，请查看上方日志。", file=sys.stderr)
            stop()
            return 1
        print(
            "\n文明创建助手已启动（Ctrl-C 停止全部进程）：\n"
            f"  管理后台              http://{web}/console/  （企业微信扫码登录：在沙箱页面点“张伟”即以演示管理员登录）\n"
            f"  Web 服务 / 小程序接口  http://{web}/api/mp\n"
            f"  健康检查              http://{web}/healthz\n"
            f"  OpenAPI 文档          http://{web}/api/mp/openapi.json\n"
            f"  微信沙箱              {env['WECHAT_API_BASE']}  （收到的消息：/_sandbox/messages）\n"
            f"  企业微信回调          http://{web}/wecom/callback  （发件箱由 outbox dispatch 进程发送）\n"
            "  定时任务              flask --app app jobs 查看任务与下次运行时间\n"
            "  演示登录：POST /api/mp/login {\"code\": \"test:任意openid\"}，"
            "再 POST /api/mp/bind {\"name\": \"张伟\", \"employee_no\": \"E0001\"}\n",
            flush=True,
        )
        while True:
            for name, child in children.items():
                if child.poll() is not None:
                    print(f"进程 {name} 已退出（返回码 {child.returncode}），正在停止其余进程。", file=sys.stderr)
                    stop()
                    return 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\n正在停止……", flush=True)
        stop()
        return 0


if __name__ == "__main__":
    sys.exit(main())
