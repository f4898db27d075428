"""A file given where a QR's text is read that is plainly something else, said by what it is.

A hospital handed the card's picture (`card.png`, or a phone's photo of it) or a book's PDF
sends that file to the card check: "not UTF-8" would tell it nothing it can act on, while
naming the file's kind says to send the text the QR holds, as a scanner reads it."""

from __future__ import annotations

# The signatures that open these files (PNG: RFC 2083; JPEG: its start-of-image marker).
_KINDS = ((b"\x89PNG\r\n\x1a\n", "an image (PNG)"), (b"\xff\xd8\xff", "an image (JPEG)"),
          (b"%PDF-", "a PDF"))
QR_TEXT = "the text its QR holds, as a scanner reads it"


def file_kind(data: bytes) -> str | None:
    """What ``data`` is when it opens as an image or a PDF does, else None."""
    return next((kind for magic, kind in _KINDS if data.startswith(magic)), None)
