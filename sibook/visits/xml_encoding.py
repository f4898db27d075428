"""The encoding a claim file's XML is written in, and its bytes as UTF-8 for expat.

Expat reads UTF-8, UTF-16 and the one-byte encodings Python maps for it; it refuses UTF-32 as
"not well-formed (invalid token)" and every multi-byte legacy encoding (Shift_JIS, GB18030,
Big5) as "multi-byte encodings are not supported". A file in any encoding Python has a codec
for is read here the way XML 1.0 says a processor finds it (Appendix F): a byte order mark
names it; without one, the width of the first "<?" is enough to read the declaration, which
names it. The text is then handed to expat as UTF-8, which overrides the declaration; what
expat refuses (a DOCTYPE, entities) it refuses alike in any encoding.
"""

from __future__ import annotations

import codecs
import re

# UTF-32's marks first: its little-endian one begins as UTF-16's does.
MARKS = ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
         (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
         (codecs.BOM_UTF16_BE, "utf-16-be"))
# "<?" (or "<" and a character) as each width writes it, with no mark (Appendix F).
WIDTHS = ((b"<\0\0\0", "utf-32-le"), (b"\0\0\0<", "utf-32-be"), (b"<\0?\0", "utf-16-le"),
          (b"\0<\0?", "utf-16-be"))
EBCDIC = b"\x4c\x6f\xa7\x94"  # "<?xm" in EBCDIC: the declaration names which code page
DECLARED = re.compile(r"""<\?xml\s[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9._-]{1,40})["']""")
HEAD = 1024  # bytes enough for a declaration, in UTF-32 too


class EncodingProblem(ValueError):
    """The file's encoding cannot be read, saying why."""


def as_utf8(data: bytes) -> bytes:
    """``data`` as UTF-8 (unchanged when it is UTF-8 already, a mark and all; UTF-8 is what
    a file declaring no encoding is); EncodingProblem naming an encoding Python cannot read,
    one its first bytes contradict, or bytes that are not in it."""
    written, skip = _written_in(data)
    declared = DECLARED.match(data[skip:skip + HEAD].decode(written or "latin-1", "ignore"))
    name = declared[1] if declared else written or "UTF-8"
    codec = _codec_of(name)
    if written is None or written == "cp037":
        if written is None and codec.startswith(("utf-16", "utf-32")):
            raise EncodingProblem(f"the XML declaration names {name!r} but the file is "
                                  "written in one-byte characters")
        reader = codec
    elif _same_family(written, codec):
        reader = written  # in the byte order its first bytes show, the mark skipped
    else:
        raise EncodingProblem(f"the file is written in {written.upper()} (its first bytes say "
                              f"so) but its XML declaration names {name!r}")
    if codec.startswith("utf-8"):
        return data  # expat reads it as it is: the common path copies nothing
    try:
        text = data[skip:].decode(reader)
    except UnicodeDecodeError as exc:
        raise EncodingProblem(f"byte 0x{exc.object[exc.start]:02X} at offset "
                              f"{skip + exc.start:,} of the file is not {name}, the encoding "
                              "its declaration names") from None
    except (LookupError, UnicodeError):  # a codec of bytes to bytes (base64), or idna's
        raise EncodingProblem(f"the XML declaration names {name!r}, which is not a text "
                              "encoding") from None
    return text.encode("utf-8", "surrogatepass")  # a lone surrogate: refused by expat


def utf8_problem(data: bytes) -> str | None:
    """Why ``data``, which ``as_utf8`` hands to expat as it is (UTF-8 declared, or no
    encoding), is not UTF-8, if it is not: the first byte that is not, where it is. Expat says
    only "not well-formed (invalid token)" there, which hides that the file's encoding is not
    the one it declares (a Vietnamese HIS writing Windows-1258 and declaring nothing)."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        skip = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
        declared = DECLARED.match(data[skip:skip + HEAD].decode("latin-1"))
        said = (f"UTF-8, the encoding its declaration names ({declared[1]!r})" if declared
                else "UTF-8, the encoding of a file whose XML declaration names none")
        line = data.count(b"\n", 0, exc.start) + 1
        return (f"byte 0x{data[exc.start]:02X} at offset {exc.start:,} (line {line}) is not "
                f"{said}: declare the encoding it is written in, e.g. "
                '<?xml version="1.0" encoding="windows-1258"?>')
    return None


def _written_in(data: bytes) -> tuple[str | None, int]:
    """The encoding the first bytes name or imply and how many of them are a byte order mark;
    None for one-byte characters (ASCII's, or a multi-byte encoding's that keeps ASCII)."""
    for mark, name in MARKS:
        if data.startswith(mark):
            return name, len(mark)
    for start, name in WIDTHS:
        if data.startswith(start):
            return name, 0
    return ("cp037", 0) if data.startswith(EBCDIC) else (None, 0)


def _codec_of(name: str) -> str:
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise EncodingProblem(f"the XML declaration names the encoding {name!r}, which "
                              "cannot be read; Decision 130 files are UTF-8") from None


def _same_family(written: str, codec: str) -> bool:
    """Whether the declaration names the encoding the first bytes show ("UTF-16" in a file
    marked little-endian UTF-16 does)."""
    return written.startswith(codec) or codec.startswith(written)
