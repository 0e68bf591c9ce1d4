"""Room in the request body for photo uploads, set before the body is read."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import current_app, request


def room_for_photos(max_photos: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Let this request's body hold ``max_photos`` photos at full size plus 1 MB for the text fields
    and multipart framing; every other request keeps ``MAX_CONTENT_LENGTH``. Set before the body is
    read. The body must be multipart/form-data (``accepts_media``, checked with the blueprint's media types)."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            request.max_content_length = max_photos * current_app.config["PHOTO_MAX_BYTES"] + 1024 * 1024
            return view(*args, **kwargs)

        wrapper.accepts_media = "multipart/form-data"
        return wrapper

    return decorator
