"""The shipped gunicorn settings: worker count and the collector freeze after the app has loaded."""

from __future__ import annotations

import gc
import runpy
from pathlib import Path

import pytest

CONFIG = Path(__file__).resolve().parent.parent / "config" / "gunicorn.conf.py"


def test_workers_default_to_one_more_than_the_cores_and_follow_web_concurrency(monkeypatch):
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    monkeypatch.setattr("os.cpu_count", lambda: 4)
    assert runpy.run_path(str(CONFIG))["workers"] == 5
    monkeypatch.setenv("WEB_CONCURRENCY", "7")
    assert runpy.run_path(str(CONFIG))["workers"] == 7


@pytest.fixture
def unfrozen():
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_a_worker_freezes_what_it_has_loaded(unfrozen):  # noqa: ARG001
    settings = runpy.run_path(str(CONFIG))
    assert gc.get_freeze_count() == 0
    settings["post_worker_init"](worker=None)
    assert gc.get_freeze_count() > 1000
    assert gc.get_count()[2] == 0
