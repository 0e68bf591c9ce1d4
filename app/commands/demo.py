"""``flask --app app seed-demo`` and ``wechat-sandbox``: the offline demo and its WeChat stand-in."""

from __future__ import annotations

import click
from flask import current_app

from app.commands import params
from app.extensions import db


@click.command("seed-demo", cls=params.Command)
def seed_demo_command() -> None:
    """写入演示数据（部门、20 名人员等），可重复执行。"""
    from app.demo import seed_demo

    result = seed_demo(db.session)
    click.echo(f"演示数据已就绪：新增人员 {result['staff_created']} 人，新增部门 {result['departments_created']} 个。")


@click.command("wechat-sandbox", cls=params.Command)
@click.option("--host", default="127.0.0.1", show_default=True, help="只应监听回环地址。")
@click.option("--port", default=8001, show_default=True, type=params.IntRange(1, 65535))
@click.option("--robot-limit", default=20, show_default=True, type=params.IntRange(1, 10_000), help="每个群机器人每窗口可发条数。")
@click.option("--robot-window", default=60.0, show_default=True, type=params.FloatRange(0.1, 3600.0), help="群机器人限流窗口（秒）。")
@click.option("--risky-words", default="赌博,诈骗,毒品", show_default=True, help="内容安全检测判为 risky 的词。")
@click.option("--review-words", default="敏感,待审", show_default=True, help="判为 review 的词。")
def wechat_sandbox_command(
    host: str, port: int, robot_limit: int, robot_window: float, risky_words: str, review_words: str
) -> None:
    """运行微信/企业微信接口沙箱（离线演示与测试用）。"""
    from sandbox import SandboxSettings
    from sandbox.server import SandboxServer

    config = current_app.config
    settings = SandboxSettings(
        wechat_appid=config["WECHAT_APPID"],
        wechat_secret=config["WECHAT_SECRET"],
        wecom_corp_id=config["WECOM_CORP_ID"],
        wecom_secret=config["WECOM_SECRET"],
        robot_limit=robot_limit,
        robot_window=robot_window,
        risky_words=[w for w in risky_words.split(",") if w],
        review_words=[w for w in review_words.split(",") if w],
    )
    server = SandboxServer(settings, host=host, port=port, quiet=False)
    click.echo(f"微信沙箱已启动：{server.url}（Ctrl-C 停止）")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server.server_close()
