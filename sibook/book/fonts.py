"""The book's fonts, cut once per process to the glyphs Vietnamese text needs.

fpdf2 parses a TrueType font on every ``add_font`` and subsets it again on every ``output``; on
the whole DejaVu Sans (6,000 glyphs) that is most of the time of a book PDF. So the fonts are
first cut, once, to the scripts a book shows (Latin with the Vietnamese letters and tones,
punctuation, the dong sign) and kept as small font files; each PDF then parses and subsets a
font of a few hundred glyphs. A book with a letter outside that set (a foreign name, say) gets
the whole font, so nothing is ever drawn as a missing glyph. The cut drops the shaping tables,
which a PDF viewer does not use for left-to-right Latin text.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from functools import cache
from pathlib import Path

from fontTools import subset  # type: ignore[import-untyped]
from fontTools.ttLib import TTFont  # type: ignore[import-untyped]

from sibook.core.errors import NotFoundError

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT, FONT_BOLD = FONT_DIR / "DejaVuSans.ttf", FONT_DIR / "DejaVuSans-Bold.ttf"
# Basic Latin and Latin-1, the Vietnamese letters outside them (Ă Đ Ĩ Ũ Ơ Ư and the toned
# vowels of Latin Extended Additional), combining tones, punctuation and the dong sign.
COVERED = frozenset(
    [*range(0x20, 0x7F), *range(0xA0, 0x180), 0x1A0, 0x1A1, 0x1AF, 0x1B0,
     *range(0x300, 0x310), 0x323, *range(0x1EA0, 0x1F00), *range(0x2010, 0x2028),
     *range(0x2030, 0x2040), 0x20AB, 0x2116])
# Tables a PDF viewer never reads from an embedded font: shaping, kerning, device metrics.
DROPPED = ["GPOS", "GSUB", "GDEF", "kern", "hdmx", "FFTM", "MATH", "LTSH", "VDMX"]
CUT = "glyph names kept"  # part of the cached file's name: change with the options


def fonts_for(text: str) -> tuple[Path, Path]:
    """Regular and bold font files that can draw every character of ``text``."""
    if all(ord(c) in COVERED for c in set(text)):
        return _cut(FONT), _cut(FONT_BOLD)
    return _whole(FONT), _whole(FONT_BOLD)


def _whole(font: Path) -> Path:
    if not font.exists():
        raise NotFoundError(f"font {font} is missing: install the Debian package "
                            "fonts-dejavu-core")
    return font


@cache
def _cut(font: Path) -> Path:
    """The cut font file, made on the first call of a process (and kept for the next ones)."""
    source = _whole(font).read_bytes()
    key = hashlib.sha256(source + repr((sorted(COVERED), DROPPED, CUT)).encode())
    path = Path(tempfile.gettempdir()) / "sibook-fonts" / f"{font.stem}-{key.hexdigest()[:16]}.ttf"
    if path.exists():
        return path
    options = subset.Options()
    options.drop_tables += DROPPED
    options.layout_features = []
    options.glyph_names = True  # fpdf2 otherwise derives every glyph's name from the cmap
    options.notdef_outline = True
    options.recommended_glyphs = True
    ttf = TTFont(font, recalcTimestamp=False)
    cutter = subset.Subsetter(options)
    cutter.populate(unicodes=COVERED)
    cutter.subset(ttf)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp")
    ttf.save(tmp)
    tmp.replace(path)  # atomic: concurrent processes write the same bytes
    return path
