"""Helpers for the 微心愿 tests: wishes in a given state, signed-in people, and image bytes."""

from __future__ import annotations

import io
import struct
import threading
import zlib
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import func, select

from app.extensions import db
from app.models import Wish, WishPhoto, WishProof
from app.services import audit, auth, wishes
from app.timeutil import local_today
from app.wechat import CodeSession
from tests import factories


def error_code(response) -> str:
    body = response.get_json()
    assert set(body) == {"error"}, body
    assert body["error"]["message"], body
    return body["error"]["code"]


def make_wish(publish: bool = True, deadline: date | None = None, photos: tuple = (), **fields: Any) -> Wish:
    values: dict[str, Any] = dict(
        title="一个新书包",
        story="书包背带断了，想要一个新书包。",
        category="goods",
        beneficiary_name="王小明",
        village="红旗村",
        household="红旗村三组 12 号",
        contact="13900000001",
        estimated_value=120,
        claim_deadline=deadline or local_today() + timedelta(days=30),
    )
    values.update(fields)
    return wishes.create_wish(db.session, wishes.WishDraft(**values), audit.Actor.system(), photos, publish=publish)


def claimed_with_proof() -> Wish:
    """A wish with a photo, claimed by 认领人 whose proof (with a photo) waits for review."""
    wish = make_wish(photos=[io.BytesIO(image_bytes())])
    claimer = factories.make_staff(name="认领人")
    wishes.claim_wish(db.session, wish.id, claimer)
    wishes.submit_proof(db.session, wish.id, claimer, "openid-x", "书包已送到", [io.BytesIO(image_bytes(colour=(0, 90, 200)))])
    return fetch_wish(wish.id)


def sign_in(name: str | None = None, admin: bool = False, wecom_userid: str | None = None, department: str = "办公室"):
    """A roster entry with a bound mini-program account; returns (staff, headers).

    Goes through the real login and binding services (the WeChat code exchange is what the API adds).
    """
    staff = factories.make_staff(name=name, admin=admin, wecom_userid=wecom_userid, department=department)
    openid = f"openid-{staff.employee_no}"
    token, account, _ = auth.log_in(db.session, CodeSession(openid=openid, session_key="k", unionid=None), None)
    auth.bind_account(db.session, account, staff.name, staff.employee_no)
    return staff, {"Authorization": f"Bearer {token}"}


@pytest.fixture
def claimed(client):
    """A wish claimed by 周杰; returns (wish, claimer headers). Import it into a test module to use it."""
    wish = make_wish()
    _, headers = sign_in("周杰")
    assert client.post(f"/api/mp/wishes/{wish.id}/claim", headers=headers).status_code == 200
    return wish, headers


def stored_files(app) -> list[Path]:
    folder = Path(app.config["UPLOAD_FOLDER"])
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def assert_nothing_stored(app, wish_id: int) -> None:
    """A refused upload left neither files nor rows behind, and the wish is still claimed."""
    assert stored_files(app) == []
    assert db.session.scalar(select(func.count()).select_from(WishProof)) == 0
    assert db.session.scalar(select(func.count()).select_from(WishPhoto)) == 0
    assert fetch_wish(wish_id).status == "claimed"


def fetch_wish(wish_id: int) -> Wish:
    db.session.expire_all()
    wish = db.session.scalar(select(Wish).where(Wish.id == wish_id))
    assert wish is not None
    return wish


def race(app, calls: list[Callable[[Any], Any]]) -> list[Any]:
    """Run each ``call(client)`` in its own thread with its own test client, released together."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[Any], Any]) -> None:
        client = app.test_client()
        with app.app_context():
            barrier.wait()
            results[index] = call(client)

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


# ---- image bytes ---------------------------------------------------------------------------------


def image_bytes(fmt: str = "JPEG", size: tuple[int, int] = (64, 48), colour=(200, 30, 30), **save: Any) -> bytes:
    buffer = io.BytesIO()
    mode = "RGB" if fmt != "GIF" else "P"
    Image.new(mode, size, colour if mode == "RGB" else 1).save(buffer, fmt, **save)
    return buffer.getvalue()


def jpeg_with_gps() -> bytes:
    """A JPEG carrying EXIF with a GPS position, a camera model and an orientation tag."""
    exif = Image.Exif()
    exif[0x0110] = "测试相机"  # Model
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (30.0, 15.0, 0.0)
    gps[3] = "E"
    gps[4] = (120.0, 10.0, 0.0)
    return image_bytes("JPEG", size=(80, 40), exif=exif.tobytes())


def png_bomb(width: int = 30000, height: int = 30000) -> bytes:
    """A tiny PNG whose header declares width x height pixels (900 million by default)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    rows = zlib.compress(b"\x00" * (width + 1) * 16, 9)  # only a few rows; the header is what matters
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


def photo(data: bytes, name: str = "photo.jpg") -> tuple[io.BytesIO, str]:
    return io.BytesIO(data), name


class CountingInput:
    """A ``wsgi.input`` that counts the body bytes the application reads."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.bytes_read = 0

    def read(self, *args: Any) -> bytes:
        data = self.inner.read(*args)
        self.bytes_read += len(data)
        return data

    def readinto(self, buffer: Any) -> int:
        count = self.inner.readinto(buffer)
        self.bytes_read += count or 0
        return count

    def readline(self, *args: Any) -> bytes:
        data = self.inner.readline(*args)
        self.bytes_read += len(data)
        return data

    def __getattr__(self, name: str) -> Any:  # seek, tell, close: not reads
        return getattr(self.inner, name)


def post_multipart(client, url: str, headers: dict[str, str], data: dict[str, Any], counting: bool = False):
    """POST a multipart body of any size and return the response (its body already read); with
    ``counting``, return ``(response, body bytes the application read)``.

    The test client spools bodies over 500 kB to a temporary file that it never closes (it closes only
    the limiting wrapper around it); building the environ here lets the file be closed afterwards.
    """
    from werkzeug.test import EnvironBuilder

    builder = EnvironBuilder(path=url, method="POST", headers=headers, data=data, content_type="multipart/form-data")
    try:
        environ = builder.get_environ()
    finally:
        builder.close()
    body = environ["wsgi.input"] = CountingInput(environ["wsgi.input"])
    try:
        response = client.open(environ)
        response.get_data()
        return (response, body.bytes_read) if counting else response
    finally:
        body.close()
