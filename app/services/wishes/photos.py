"""Photos of wishes and of proofs: checked and re-encoded under the configured limits, written under
``UPLOAD_FOLDER/wishes/`` with random names, and removed again if the transaction that records them fails."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import current_app
from sqlalchemy.orm import Session

from app.models import WishPhoto
from app.services import images


def photo_folder() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"]) / "wishes"


def photo_path(photo: WishPhoto) -> Path:
    return photo_folder() / photo.stored_name


@contextmanager
def stored_photos(session: Session, cleaned: list[images.CleanImage]) -> Iterator[Callable[[int, int | None], None]]:
    """Write checked photos to disk and yield ``record(wish_id, proof_id)``, which adds their rows.

    If the block raises (a refused transition, a failed commit), the transaction is rolled back and the
    files are removed, so nothing is left behind; the block commits as its last statement.
    """
    paths = images.store_images(photo_folder(), cleaned)

    def record(wish_id: int, proof_id: int | None) -> None:
        for position, (image, path) in enumerate(zip(cleaned, paths, strict=True), start=1):
            session.add(
                WishPhoto(
                    wish_id=wish_id,
                    proof_id=proof_id,
                    position=position,
                    stored_name=path.name,
                    content_type=image.content_type,
                    width=image.width,
                    height=image.height,
                    size_bytes=len(image.data),
                )
            )

    try:
        yield record
    except BaseException:
        session.rollback()
        images.remove_files(paths)
        raise
