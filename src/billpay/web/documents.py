"""How an original document leaves billpay: a type a browser shows safely, else a download.

A PDF or a raster image is shown inline with its own type; anything else (XML e-invoices, HTML or SVG
someone uploaded, unknown bytes) is sent as ``application/octet-stream`` to download, so no upload can run
as a page of billpay. The file name is reduced to safe ASCII, with the full name in ``filename*``.
"""
from __future__ import annotations

import re
from urllib.parse import quote

INLINE_TYPES = {"application/pdf", "image/png", "image/jpeg", "image/gif", "image/tiff", "image/webp"}


def original_headers(mime_type: str | None, filename: str | None) -> tuple[str, str]:
    """(media type, Content-Disposition) for an original document."""
    mime = (mime_type or "").split(";")[0].strip().lower()
    name = (filename or "document").replace("\\", "/").rsplit("/", 1)[-1] or "document"
    ascii_name = re.sub(r"[^A-Za-z0-9._ -]", "_", name)[:150] or "document"
    disposition = f"{'inline' if mime in INLINE_TYPES else 'attachment'}; filename=\"{ascii_name}\"; " \
                  f"filename*=UTF-8''{quote(name[:200], safe='')}"
    return (mime if mime in INLINE_TYPES else "application/octet-stream"), disposition
