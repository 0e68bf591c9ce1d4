"""文明创建助手: the Flask application factory."""

from __future__ import annotations

import logging

from apiflask import APIFlask
from werkzeug.middleware.proxy_fix import ProxyFix

from config import PROJECT_ROOT, Config, config_from_env


def create_app(config: Config | None = None) -> APIFlask:
    config = config or config_from_env()
    config.validate()

    app = APIFlask(
        __name__,
        title="文明创建助手 API",
        version="1.0",
        spec_path="/api/mp/openapi.json",
        docs_path=None,
        json_errors=True,
    )
    app.security_schemes = {"BearerAuth": {"type": "http", "scheme": "bearer"}}
    app.config.from_mapping(config.as_flask_config())
    app.config["VALIDATION_ERROR_STATUS_CODE"] = 422
    app.json.ensure_ascii = False
    logging.basicConfig(level=app.config["LOG_LEVEL"], format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)  # one line per plugin, every run
    if app.config["TRUSTED_PROXY_COUNT"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["TRUSTED_PROXY_COUNT"], x_proto=1)

    register_extensions(app)
    register_converters(app)
    register_blueprints(app)
    register_commands(app)
    register_openapi(app)
    return app


def register_extensions(app: APIFlask) -> None:
    from app import errors, parsing, wechat
    from app.extensions import db, limiter, migrate, warn_untrusted_forwarding

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    limiter.init_app(app)
    warn_untrusted_forwarding(app)
    wechat.init_app(app)
    errors.init_app(app)
    parsing.init_app(app)
    from app import security_headers, web_sessions
    security_headers.init_app(app)
    web_sessions.init_app(app)


def register_converters(app: APIFlask) -> None:
    from app import converters

    converters.init_app(app)


def register_blueprints(app: APIFlask) -> None:
    from app import health, screens
    from app import verification
    from bot import bp as bot_bp
    from miniprogram_api import bp as miniprogram_bp

    app.register_blueprint(health.bp)
    app.register_blueprint(miniprogram_bp)
    app.register_blueprint(bot_bp)
    app.register_blueprint(screens.bp)
    app.register_blueprint(verification.bp)

    import console

    console.init_app(app)


def register_commands(app: APIFlask) -> None:
    from app import cli

    cli.init_app(app)


def register_openapi(app: APIFlask) -> None:
    """Last: it chains the spec processors registered before it."""
    from app import openapi

    openapi.init_app(app)
