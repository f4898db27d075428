"""The book's fonts: DejaVu Sans cut once per process to the glyphs Vietnamese text needs, and
embedded in every PDF from bytes prepared once.

fpdf2 parses a TrueType font on every ``add_font`` and subsets it again (fontTools) on every
``output``: over half of the CPU time of a book PDF. So the fonts are cut once to the scripts a
book shows (Latin with the Vietnamese letters and tones, punctuation, the dong sign), parsed
once, and every glyph of the cut is given its code up front; each PDF then embeds the whole cut
(~18 KB deflated a font, ~12 KB more a book than a per-book subset) with font objects whose
contents are made once. A book with a letter outside the cut (a foreign name, say) gets fpdf2's
usual path with the whole font, so nothing is ever drawn as a missing glyph. The cut drops the
shaping tables and the hinting programs, which PDF viewers do not use for left-to-right Latin.

This leans on fpdf2 2.8 internals (``TTFFont``'s fields and code map, the output producer's
``_add_fonts``); the render tests read the text back from the PDFs, so a change there shows.
"""

from __future__ import annotations

import atexit
import copy
import hashlib
import logging
import os
import shutil
import tempfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, partial
from pathlib import Path
from typing import Any

from fontTools import subset  # type: ignore[import-untyped]
from fontTools.ttLib import TTFont  # type: ignore[import-untyped]
from fpdf import FPDF
from fpdf.enums import TextMode
from fpdf.fonts import Glyph, TTFFont
from fpdf.output import CIDSystemInfo, OutputProducer, PDFFont, PDFType3Font
from fpdf.syntax import Name, PDFArray, PDFContentStream, PDFObject, build_obj_dict

from sibook.core.errors import ServerFault
from sibook.core.private_files import private_folder

LOGGER = logging.getLogger(__name__)
FAMILY = "DejaVu"
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
CUT = "unhinted, no glyph names"  # part of the cached file's name: change with the options


def add_fonts(pdf: FPDF, text: str) -> None:
    """Register FAMILY (regular and bold) on ``pdf``, able to draw every character of ``text``;
    output the PDF with ``output_producer_class=FontOutput``."""
    cuts = [_prepared(""), _prepared("B")]
    if all(ord(c) in cuts[0].codes and ord(c) in cuts[1].codes for c in set(text)):
        for cut in cuts:
            font = copy.copy(cut.font)  # shares the parsed font and its code map, read-only
            font.i = len(pdf.fonts) + 1
            font.missing_glyphs, font.biggest_size_pt = [], 0
            pdf.fonts[font.fontkey] = font
        return
    pdf.add_font(FAMILY, "", str(_whole(FONT)))
    pdf.add_font(FAMILY, "B", str(_whole(FONT_BOLD)))


def texts(pdf: FPDF, runs: Sequence[tuple[float, float, str]]) -> None:
    """Each ``(x, y, text)`` placed as ``pdf.text(x, y, text)`` places it, to the byte, in one
    write: fpdf2's ``text`` checks and converts the document's state on every call, and a
    32-year book has ~420 runs. Plain filled text in a cut font only; anything else (underline,
    another colour, a font outside the cut) goes through ``text``."""
    font = pdf.current_font
    if not runs:
        return
    if (not isinstance(font, _CutFont) or pdf.text_mode != TextMode.FILL or pdf.underline
            or pdf.strikethrough or pdf._record_text_quad_points
            or pdf.fill_color != pdf.text_color):
        for x, y, text in runs:
            pdf.text(x, y, text)
        return
    if not pdf.current_font_is_set_on_page:
        pdf._out(pdf._set_font_for_page(font, pdf.font_size_pt))
    k, h = pdf.k, pdf.h
    pdf._out("\n".join(f"BT {x * k:.2f} {(h - y) * k:.2f} Td {font.encode_text(text)} ET"
                        for x, y, text in runs))


class FontMissing(ServerFault):
    """A font the book and the card are drawn in is not installed: the installation's to mend
    (the package named), neither the request's nor the keys'."""


class FontOutput(OutputProducer):
    """fpdf2's output, but a cut font is embedded from its prepared objects, not subset, and
    each object's dictionary is built from the fields it has."""

    def _add_pdf_obj(self, pdf_obj: PDFObject, trace_label: str | None = None) -> int:
        """fpdf2's; the dictionary built as fpdf2 builds it (the same entries, in the same
        order), but reading only the object's own fields and its class's: fpdf2 reads every
        name ``dir`` gives, ~44 an object with the methods (0.3 of the 1.7 ms of ``output``)."""
        if hasattr(pdf_obj, "__dict__"):
            setattr(pdf_obj, "_build_obj_dict", partial(_obj_dict, pdf_obj))  # noqa: B010
        return super()._add_pdf_obj(pdf_obj, trace_label)

    def _add_fonts(self, *args: Any, **kwargs: Any) -> dict[int, PDFFont | PDFType3Font]:
        fonts = sorted(self.fpdf.fonts.values(), key=lambda font: font.i)
        if not all(isinstance(font, _CutFont) for font in fonts):
            return super()._add_fonts(*args, **kwargs)
        return {font.i: self._embed(font) for font in fonts if isinstance(font, _CutFont)}

    def _embed(self, font: _CutFont) -> PDFFont:
        cut, name = font.cut, f"MPDFAA+{font.name}"
        if cut.font.missing_glyphs:  # only a label outside the cut could: warn, as fpdf2 does
            LOGGER.warning("font %s has no glyph for %s", name,
                           "".join(map(chr, cut.font.missing_glyphs)))
        composite = PDFFont(subtype="Type0", base_font=name, encoding="Identity-H")
        cid_font = PDFFont(subtype="CIDFontType2", base_font=name, d_w=font.desc.missing_width,
                           w=cut.widths)
        composite.descendant_fonts = PDFArray([cid_font])
        composite.to_unicode = _Deflated(cut.to_unicode)
        cid_font.c_i_d_system_info = CIDSystemInfo()
        cid_font.c_i_d_to_g_i_d_map = _Deflated(cut.cid_to_gid)
        descriptor = copy.copy(font.desc)  # gets this document's object number
        descriptor.font_name = Name(name)
        font_file = _Deflated(cut.font_file, length1=cut.font_length)
        descriptor.font_file2 = font_file  # type: ignore[attr-defined]
        cid_font.font_descriptor = descriptor
        for obj in (composite, cid_font, composite.to_unicode, cid_font.c_i_d_system_info,
                    descriptor, cid_font.c_i_d_to_g_i_d_map, font_file):
            self._add_pdf_obj(obj, "fonts")
        return composite


def _obj_dict(obj: PDFObject, security_handler: Any = None) -> dict[str, object]:
    """``PDFObject._build_obj_dict``: ``dir`` is sorted, and holds the instance's fields and the
    class's; ``build_obj_dict`` drops the methods, the private names and the None values."""
    names = sorted({*_class_fields(type(obj)), *(k for k in vars(obj) if k[0] != "_")})
    return build_obj_dict({name: getattr(obj, name) for name in names},
                          _security_handler=security_handler, _obj_id=obj.id)


_FIELDS: dict[type, tuple[str, ...]] = {}


def _class_fields(cls: type) -> tuple[str, ...]:
    """The public names of ``cls`` that are not methods (properties and class constants)."""
    if cls not in _FIELDS:
        _FIELDS[cls] = tuple(name for name in dir(cls)
                             if not name.startswith("_") and not callable(getattr(cls, name, None)))
    return _FIELDS[cls]


class _Deflated(PDFContentStream):
    """A stream whose contents were deflated once, for every document."""

    def __init__(self, deflated: bytes, *, length1: int | None = None) -> None:
        super().__init__(deflated)
        self.filter = Name("FlateDecode")
        self.length1 = length1


@dataclass(frozen=True)
class _Cut:
    font: _CutFont  # the template each document copies
    codes: frozenset[int]  # the characters it draws
    chars: frozenset[str]  # the same, as characters
    to_codes: dict[int, str]  # character → its code in the PDF (two bytes, escaped as in a
    # PDF string: fpdf2's ``escape_text``), for str.translate
    widths: str  # the CIDFont's /W array
    to_unicode: bytes  # deflated ToUnicode CMap
    cid_to_gid: bytes  # deflated CIDToGIDMap
    font_file: bytes  # deflated font program
    font_length: int


class _CutFont(TTFFont):
    cut: _Cut

    def encode_text(self, text: str) -> str:
        """fpdf2's, with one ``str.translate``: every character of the cut has its code, and
        its code's escaped bytes, from the start; fpdf2's loop over the characters was half the
        time of a text run, and it encoded and escaped the codes again on every run."""
        if not self.cut.chars.issuperset(text):
            return super().encode_text(text)  # as fpdf2 does: dropped, and warned about
        return f"({text.translate(self.cut.to_codes)}) Tj"


@cache
def _prepared(style: str) -> _Cut:
    """The cut font of ``style`` ("" or "B") parsed, every glyph given its code, and the
    contents of its PDF objects."""
    path = _cut(FONT_BOLD if style == "B" else FONT)
    font = _CutFont(FPDF(), path, f"{FAMILY.lower()}{style}", style)
    to_codes: dict[int, str] = {}
    for char in sorted(font.cmap):
        code = font.subset.pick(char)
        if code is not None:
            to_codes[char] = font.escape_text(chr(code))
    glyphs = [(glyph, code) for glyph, code in font.subset.items() if glyph is not None]
    gids = bytearray(2 * (max(code for _, code in glyphs) + 1))
    for glyph, code in glyphs:
        gids[2 * code:2 * code + 2] = font.ttfont.getGlyphID(glyph.glyph_name).to_bytes(2, "big")
    font.ttfont.close()  # all fpdf2 needs is read; an open file would be shared after a fork
    program = path.read_bytes()
    cut = _Cut(font=font, codes=frozenset(font.cmap), chars=frozenset(map(chr, font.cmap)),
               to_codes=to_codes, widths=_widths(glyphs),
               to_unicode=zlib.compress(_to_unicode(glyphs)), cid_to_gid=zlib.compress(gids),
               font_file=zlib.compress(program, 9), font_length=len(program))
    font.cut = cut
    return cut


def _widths(glyphs: list[tuple[Glyph, int]]) -> str:
    """The /W array: each run of consecutive codes as ``first [width width ...]`` (1/1000 em)."""
    runs: list[tuple[int, list[int]]] = []
    for glyph, code in sorted(glyphs, key=lambda item: item[1]):
        if runs and code == runs[-1][0] + len(runs[-1][1]):
            runs[-1][1].append(glyph.glyph_width)
        else:
            runs.append((code, [glyph.glyph_width]))
    return "[" + " ".join(f"{first} [{' '.join(map(str, ws))}]" for first, ws in runs) + "]"


def _to_unicode(glyphs: list[tuple[Glyph, int]]) -> bytes:
    """The ToUnicode CMap, so text can be searched and copied (blocks of 100, as Adobe asks)."""
    pairs = [f"<{code:04X}> <{''.join(f'{u:04X}' for u in glyph.unicode)}>\n"
             for glyph, code in glyphs if isinstance(glyph.unicode, tuple) and glyph.unicode]
    blocks = "".join(f"{len(pairs[i:i + 100])} beginbfchar\n{''.join(pairs[i:i + 100])}"
                     "endbfchar\n" for i in range(0, len(pairs), 100))
    return ("/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
            "/CIDSystemInfo\n<</Registry (Adobe)\n/Ordering (UCS)\n/Supplement 0\n>> def\n"
            "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
            "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
            f"{blocks}endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend"
            ).encode("ascii")


def _whole(font: Path) -> Path:
    if not font.exists():
        raise FontMissing(f"font {font} is missing: install the Debian package "
                          "fonts-dejavu-core")
    return font


def _cut(font: Path) -> Path:
    """The cut font file, made on the first use (and kept in the temp dir for the next runs).
    Its glyphs draw every signed book: kept only in a folder of this account's alone, never
    one another account made first or can write to (``private_folder``), where it could have
    planted a font drawing other digits than the book's text holds; failing that, made again
    in a private folder of this process's."""
    source = _whole(font).read_bytes()
    key = hashlib.sha256(source + repr((sorted(COVERED), DROPPED, CUT)).encode())
    folder = Path(tempfile.gettempdir()) / "sibook-fonts"
    if not private_folder(folder):
        LOGGER.warning("%s is another account's or open to others: the fonts are cut in a "
                     "private folder instead (remove it; sibook makes it owner-only)", folder)
        folder = Path(tempfile.mkdtemp(prefix="sibook-fonts-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)  # read whole by then
    path = folder / f"{font.stem}-{key.hexdigest()[:16]}.ttf"
    if path.exists():
        return path
    options = subset.Options()
    options.drop_tables += DROPPED
    options.layout_features = []
    options.hinting = False
    options.glyph_names = False
    options.notdef_outline = True
    options.recommended_glyphs = True
    ttf = TTFont(font, recalcTimestamp=False)
    cutter = subset.Subsetter(options)
    cutter.populate(unicodes=COVERED)
    cutter.subset(ttf)
    tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp")
    ttf.save(tmp)
    tmp.replace(path)  # atomic: concurrent processes write the same bytes
    return path
