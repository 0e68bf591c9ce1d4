"""Accepting uploaded photos: judged by content, bounded in bytes and pixels, re-encoded without metadata.

A photo is accepted only if Pillow decodes it as JPEG, PNG or WebP (the file name and the declared
content type are ignored). Decoding is the expensive part, so an upload is checked in two passes:
first every photo's header (format, size in bytes, pixels, and all photos' pixels together against
``PHOTO_MAX_TOTAL_PIXELS``), and only when all of them pass are they decoded, so a hostile upload is
refused before any pixel is decoded. Images with more pixels than ``PHOTO_MAX_PIXELS`` are refused from
the header, and Pillow's own decompression-bomb warning is treated as an error. A photo is stored at
most ``PHOTO_MAX_SIDE`` pixels on its longer side; a larger JPEG is decoded at 1/2, 1/4 or 1/8 scale
(libjpeg's DCT scaling, ``Image.draft``) when that is still at least the stored size. The accepted image
is re-encoded from its pixels, which drops EXIF (GPS included), XMP and comments; the EXIF orientation
is applied first so the photo still stands the right way up.
"""

from __future__ import annotations

import io
import secrets
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from flask import current_app
from PIL import Image, ImageOps, UnidentifiedImageError

from app.errors import AppError

# Pillow format name -> (content type, file extension).
FORMATS: dict[str, tuple[str, str]] = {
    "JPEG": ("image/jpeg", ".jpg"),
    "PNG": ("image/png", ".png"),
    "WEBP": ("image/webp", ".webp"),
}


class PhotoTooLarge(AppError):
    status_code = 413
    code = "photo_too_large"
    message = "照片文件过大"


class UnsupportedPhoto(AppError):
    status_code = 415
    code = "unsupported_photo"
    message = "照片无法识别，只支持 JPEG、PNG 或 WebP 图片"


class PhotoTooManyPixels(AppError):
    status_code = 422
    code = "photo_too_many_pixels"
    message = "照片像素过多，请压缩后再上传"


class UploadTooManyPixels(AppError):
    status_code = 422
    code = "upload_too_many_pixels"
    message = "照片总像素过多，请减少照片数量或压缩后再上传"


@dataclass(frozen=True)
class PhotoHeader:
    """An uploaded photo whose header has been read and checked; its pixels are not decoded yet."""

    data: bytes
    format: str
    width: int
    height: int
    index: int | None = None

    @property
    def pixels(self) -> int:
        return self.width * self.height


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    content_type: str
    extension: str
    width: int
    height: int


def _label(index: int | None) -> str:
    return f"第 {index} 张照片" if index is not None else "照片"


def _encode(image: Image.Image, fmt: str) -> bytes:
    image.info = {}  # no EXIF, XMP, ICC, comments or text chunks carried over
    out = io.BytesIO()
    if fmt == "JPEG":
        if image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        image.save(out, "JPEG", quality=88, optimize=True)
    elif fmt == "PNG":
        if image.mode not in ("RGB", "RGBA", "L", "LA"):
            image = image.convert("RGBA")
        image.save(out, "PNG")
    else:
        if image.mode not in ("RGB", "RGBA"):
            image = image.convert("RGBA")
        image.save(out, "WEBP", quality=85)
    return out.getvalue()


@contextmanager
def _opened(data: bytes, formats: list[str], label: str) -> Iterator[Image.Image]:
    """The image in ``data`` opened by Pillow (only ``formats``), with its failures as our refusals:
    a decompression bomb (Pillow's warning too) or anything unreadable, in opening or in decoding."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=formats) as image:
                yield image
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise PhotoTooManyPixels(f"{label}像素过多，疑似压缩炸弹，已拒绝") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise UnsupportedPhoto(f"{label}无法识别为 JPEG、PNG 或 WebP 图片，或文件已损坏") from exc


def read_header(stream: BinaryIO, *, max_bytes: int, max_pixels: int, index: int | None = None) -> PhotoHeader:
    """Read one photo and check what its header says: format, bytes and pixels. Decodes nothing."""
    label = _label(index)
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise PhotoTooLarge(f"{label}超过 {max_bytes // (1024 * 1024)} MB，请压缩后再上传")
    if not data:
        raise UnsupportedPhoto(f"{label}是空文件")
    with _opened(data, list(FORMATS), label) as image:
        (width, height), fmt = image.size, image.format
    if width * height > max_pixels:
        raise PhotoTooManyPixels(f"{label}像素过多（{width}×{height}），请压缩后再上传")
    return PhotoHeader(data=data, format=fmt, width=width, height=height, index=index)


def _fitted(size: tuple[int, int], max_side: int | None) -> tuple[int, int]:
    """``size`` scaled down (never up) so that its longer side is at most ``max_side``."""
    width, height = size
    if not max_side or max(width, height) <= max_side:
        return size
    scale = max_side / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def load_pixels(image: Image.Image) -> Image.Image:
    """Decode the pixels: the one expensive step, reached only by photos whose whole upload passed."""
    image.load()
    return image


def decode(header: PhotoHeader, *, max_side: int | None = None) -> CleanImage:
    """Decode a checked photo (a large JPEG at reduced scale), stand it upright, fit it within
    ``max_side`` and re-encode it without metadata."""
    label = _label(header.index)
    target = _fitted((header.width, header.height), max_side)
    with _opened(header.data, [header.format], label) as image:
        if header.format == "JPEG" and target != image.size:
            image.draft(None, target)  # DCT scaling; never below the target size
        upright = ImageOps.exif_transpose(load_pixels(image))
    if max_side and max(upright.size) > max_side:
        if upright.mode in ("1", "P"):
            upright = upright.convert("RGBA")
        upright.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    content_type, extension = FORMATS[header.format]
    return CleanImage(
        data=_encode(upright, header.format),
        content_type=content_type,
        extension=extension,
        width=upright.width,
        height=upright.height,
    )


def clean_images(
    streams: Sequence[BinaryIO],
    *,
    max_bytes: int,
    max_pixels: int,
    max_total_pixels: int,
    max_side: int | None = None,
) -> list[CleanImage]:
    """Check every photo's header, then all photos' pixels together, and only then decode any of them."""
    headers = [
        read_header(stream, max_bytes=max_bytes, max_pixels=max_pixels, index=i)
        for i, stream in enumerate(streams, start=1)
    ]
    total = sum(header.pixels for header in headers)
    if total > max_total_pixels:
        raise UploadTooManyPixels(
            f"这些照片共 {total / 1_000_000:.0f} 百万像素，超过每次上传 {max_total_pixels / 1_000_000:.0f} 百万像素的上限，"
            "请减少照片数量或压缩后再上传"
        )
    return [decode(header, max_side=max_side) for header in headers]


def clean_uploads(streams: Sequence[BinaryIO]) -> list[CleanImage]:
    """Uploaded photos under the configured limits (numbered for error messages): every header first,
    the pixels of all together, then the decoding."""
    config = current_app.config
    return clean_images(
        streams,
        max_bytes=config["PHOTO_MAX_BYTES"],
        max_pixels=config["PHOTO_MAX_PIXELS"],
        max_total_pixels=config["PHOTO_MAX_TOTAL_PIXELS"],
        max_side=config["PHOTO_MAX_SIDE"],
    )


def clean_image(
    stream: BinaryIO, *, max_bytes: int, max_pixels: int, index: int | None = None, max_side: int | None = None
) -> CleanImage:
    """Read, check and re-encode one photo. ``index`` (1-based) names it in error messages."""
    return decode(read_header(stream, max_bytes=max_bytes, max_pixels=max_pixels, index=index), max_side=max_side)


def store_images(folder: Path, images: list[CleanImage]) -> list[Path]:
    """Write images under random names; on any failure remove what was written and re-raise."""
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    try:
        for image in images:
            path = folder / f"{secrets.token_hex(16)}{image.extension}"
            with open(path, "xb") as handle:  # "x": never overwrite
                handle.write(image.data)
            written.append(path)
    except BaseException:
        remove_files(written)
        raise
    return written


def remove_files(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)
