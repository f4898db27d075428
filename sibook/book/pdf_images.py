"""The book PDF's QR image embedded as the PNG already holds it, not decoded and re-encoded.

fpdf2 decodes a PNG with Pillow and re-encodes a 1-bit image as CCITT G4 through libtiff: a
fifth of the time of a book. A 1-bit grey PNG's pixel data (its IDAT chunks) is already what a
PDF image with ``/FlateDecode`` and the PNG predictor reads, so its bytes go in as they are, with
the same pixels. (fpdf2's own ``FlateDecode`` filter gives a 1-bit image the CCITT parameters:
a garbled image.) The prepared image is handed to fpdf2 through its image cache, keyed as
fpdf2 keys a PNG it was given; were the key to change in another fpdf2, the image is only
decoded as before.
"""

from __future__ import annotations

import hashlib
import struct
from io import BytesIO

from fpdf import FPDF
from fpdf.image_datastructures import RasterImageInfo

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PIXELS_ONLY = {b"IHDR", b"IDAT", b"IEND", b"pHYs", b"tIME", b"tEXt", b"zTXt", b"iTXt"}


def image(pdf: FPDF, png: bytes, *, x: float, y: float, w: float) -> None:
    """``pdf.image(BytesIO(png), x=x, y=y, w=w)``, the pixels of a 1-bit grey PNG copied."""
    info = _one_bit_grey(png)
    if info is not None:
        key = hashlib.md5(png.strip(), usedforsecurity=False).hexdigest()  # as fpdf2's
        cache = pdf.image_cache.images
        if key not in cache:
            info.update({"i": len(cache) + 1, "usages": 0, "iccp_i": None})
            cache[key] = info
    pdf.image(BytesIO(png), x=x, y=y, w=w)


def _one_bit_grey(png: bytes) -> RasterImageInfo | None:
    """The image fpdf2 would embed for ``png``, when it is a non-interlaced 1-bit grey PNG
    (what ``sibook.signing.qr.qr_png`` writes); None for any other image."""
    if not png.startswith(PNG_SIGNATURE):
        return None
    chunks, at = [], len(PNG_SIGNATURE)
    while at + 8 <= len(png):
        length, kind = struct.unpack(">I4s", png[at:at + 8])
        chunks.append((kind, png[at + 8:at + 8 + length]))
        at += 12 + length  # length, type, data, CRC
    kinds = [kind for kind, _ in chunks]
    # Only the pixels: a palette, transparency or colour profile would change what is drawn.
    if kinds[:1] != [b"IHDR"] or len(chunks[0][1]) != 13 or not set(kinds) <= PIXELS_ONLY:
        return None
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    if (depth, colour, interlace) != (1, 0, 0):  # 1 bit, grey, rows in order
        return None
    return RasterImageInfo({
        "data": b"".join(data for kind, data in chunks if kind == b"IDAT"),
        "w": width, "h": height, "cs": "DeviceGray", "bpc": 1, "dpn": 1, "iccp": None,
        "f": "FlateDecode", "inverted": False,
        "dp": f"/Predictor 15 /Colors 1 /Columns {width}"})
