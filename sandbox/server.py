"""Running the sandbox on loopback, in the foreground (CLI) or in a background thread (tests, benchmarks)."""

from __future__ import annotations

import threading

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from sandbox import SandboxSettings, SandboxState, create_sandbox_app


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Tests and benchmarks send thousands of requests; keep their output readable."""


class SandboxServer:
    """A threaded sandbox bound to ``host:port`` (port 0 picks a free one)."""

    def __init__(
        self,
        settings: SandboxSettings | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        quiet: bool = True,
    ) -> None:
        self.app = create_sandbox_app(settings)
        handler = _QuietHandler if quiet else WSGIRequestHandler
        self.server: BaseWSGIServer = make_server(host, port, self.app, threaded=True, request_handler=handler)
        self.server.daemon_threads = True
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def state(self) -> SandboxState:
        return self.app.extensions["sandbox_state"]

    def start(self) -> SandboxServer:
        self.thread = threading.Thread(target=self.server.serve_forever, name="wechat-sandbox", daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        if self.thread:
            self.thread.join(timeout=5)

    def serve_forever(self) -> None:
        self.server.serve_forever()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
