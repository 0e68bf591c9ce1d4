"""Accepting uploaded photos: judged by content, bounded in bytes and pixels, re-encoded without metadata.

A photo is accepted only if Pillow decodes it as JPEG, PNG or WebP (the file name and the declared
content type are ignored). Images with more pixels than ``PHOTO_MAX_PIXELS`` are refused before they are
decoded, and Pillow's own decompression-bomb warning is treated as an error. The accepted image is
re-encoded from its pixels, which drops EXIF (GPS included), XMP and comments; the EXIF orientation
is applied first so the photo still stands the right way up.
"""

from __future__ import annotations

import io
import secrets
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

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


def clean_image(stream: BinaryIO, *, max_bytes: int, max_pixels: int, index: int | None = None) -> CleanImage:
    """Read, check and re-encode one uploaded photo. ``index`` (1-based) names it in error messages."""
    label = _label(index)
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise PhotoTooLarge(f"{label}超过 {max_bytes // (1024 * 1024)} MB，请压缩后再上传")
    if not data:
        raise UnsupportedPhoto(f"{label}是空文件")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=list(FORMATS)) as image:
                width, height = image.size
                if width * height > max_pixels:
                    raise PhotoTooManyPixels(f"{label}像素过多（{width}×{height}），请压缩后再上传")
                fmt = image.format
                image.load()
                upright = ImageOps.exif_transpose(image)
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise PhotoTooManyPixels(f"{label}像素过多，疑似压缩炸弹，已拒绝") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise UnsupportedPhoto(f"{label}无法识别为 JPEG、PNG 或 WebP 图片，或文件已损坏") from exc
    content_type, extension = FORMATS[fmt]
    return CleanImage(
        data=_encode(upright, fmt),
        content_type=content_type,
        extension=extension,
        width=upright.width,
        height=upright.height,
    )


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
