"""Intake: what kind of file this is (from its bytes, never its name) and safe image loading."""
from __future__ import annotations

import io
import re
import warnings

from PIL import Image

from .model import DEFAULT_LIMITS, Limits, Rejected

# Pillow's own decompression-bomb guard, set explicitly rather than trusting
# its default (89 MP): anything above our default limit raises before a single
# pixel is decoded. ``open_image`` also checks ``Limits.max_pixels`` itself, so
# a stricter per-call limit is honoured too.
Image.MAX_IMAGE_PIXELS = DEFAULT_LIMITS.max_pixels

_IMAGE_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"BM", "image/bmp"),
)

# Known non-document formats, named in the rejection so the user knows what they sent.
_OTHER_MAGIC = (
    (b"\x7fELF", "an ELF executable"),
    (b"MZ", "a Windows executable"),
    (b"\xca\xfe\xba\xbe", "a Mach-O/Java binary"),
    (b"\xcf\xfa\xed\xfe", "a Mach-O executable"),
    (b"PK\x03\x04", "a ZIP archive (or Office document)"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"\xd0\xcf\x11\xe0", "a legacy Office document"),
    (b"#!", "a script"),
)

_XML_ROOT = re.compile(rb"<(?:[\w.-]+:)?(CrossIndustryInvoice|CrossIndustryDocument|Invoice|CreditNote)\b")


def sniff(data: bytes) -> str:
    """Return a MIME type from the leading bytes; raise ``Rejected`` for anything else."""
    head = data[:2048]
    # PDF readers accept a header anywhere in the first KiB; so do we.
    if b"%PDF-" in head[:1024]:
        return "application/pdf"
    for magic, mime in _IMAGE_MAGIC:
        if head.startswith(magic):
            return mime
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "image/webp"
    for magic, what in _OTHER_MAGIC:
        if head.startswith(magic):
            raise Rejected("unsupported_type", f"This file is {what}, not an invoice document (PDF or image).")
    text_head = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text_head.startswith(b"<") and _XML_ROOT.search(data[:65536]):
        return "application/xml"
    if text_head[:15].lower().startswith((b"<!doctype html", b"<html")):
        return "text/html"
    if _looks_like_text(head):
        return "text/plain"
    raise Rejected("unsupported_type", "This file type is not supported; send a PDF, PNG, JPEG, TIFF or e-invoice XML.")


def _looks_like_text(head: bytes) -> bool:
    """Plain text or HTML (an invoice pasted into an e-mail body): valid UTF-8, or mostly ASCII."""
    if not head:
        return False
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the end of the sample
            if sum(1 for b in head if 32 <= b < 127 or b in (9, 10, 13)) < 0.95 * len(head):
                return False
        text = head.decode("latin-1")
    printable = sum(1 for c in text if c.isprintable() or c in "\r\n\t")
    return printable / len(text) > 0.97 and sum(c.isalpha() for c in text) > 10


class ImageSource:
    """The frames of an image file (a TIFF may hold many pages), decoded one at a time.

    Decoding lazily keeps memory at one page however many the file has; frames
    are read from one thread only (Pillow images are not thread-safe).
    """

    def __init__(self, im: Image.Image, count: int, limits: Limits) -> None:
        self._im = im
        self.count = count
        self._limits = limits

    def frame(self, i: int) -> tuple[Image.Image, float | None]:
        """Page ``i`` in grayscale, and its resolution in dpi when the file says."""
        try:
            self._im.seek(i)
            w, h = self._im.size
            if w * h > self._limits.max_pixels:
                raise Rejected("image_too_large", _too_large_text(w * h, self._limits))
            dpi = self._im.info.get("dpi")
            return _to_gray(self._im), (float(dpi[0]) if isinstance(dpi, tuple) and dpi and dpi[0] else None)
        except Rejected:
            raise
        except Exception as exc:  # Pillow raises many types for damaged data
            raise Rejected("corrupt_image", f"The image cannot be decoded ({type(exc).__name__}).") from None


def open_image(data: bytes, limits: Limits = DEFAULT_LIMITS) -> ImageSource:
    """Open an image after checking its size from the header; nothing is decoded yet.

    Oversized images are rejected, never downscaled: decoding them to downscale
    would spend the memory the limit exists to protect, and a real invoice scan
    (A4 at 300 dpi is 8.7 MP; at 600 dpi 35 MP) is well below the limit.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data))
            w, h = im.size
            count = getattr(im, "n_frames", 1)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise Rejected("image_too_large", _too_large_text(None, limits)) from None
    except Exception as exc:  # Pillow raises many types for damaged files
        raise Rejected("corrupt_image", f"The image cannot be read ({type(exc).__name__}).") from None
    if w * h > limits.max_pixels:
        raise Rejected("image_too_large", _too_large_text(w * h, limits))
    return ImageSource(im, min(count, limits.max_pages), limits)


def _to_gray(im: Image.Image) -> Image.Image:
    # Transparent pixels would turn black on a plain convert("L"): paint them white.
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        canvas = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        canvas.alpha_composite(rgba)
        return canvas.convert("L")
    return im.convert("L")


def _too_large_text(pixels: int | None, limits: Limits) -> str:
    mp = f"{pixels / 1e6:.1f} megapixels" if pixels else "too many pixels"
    return (f"The image has {mp}; the limit is {limits.max_pixels / 1e6:.0f} megapixels. "
            "Scan at 300 dpi or resize the photo and upload it again.")
