"""Reading a facility's claim file: the envelope of Decision 130/QĐ-BYT (FACTS §6.5).

The file the facilities send to the HI assessment portal. [S] Source: public HIS exporters'
code, not the decision's PDF: the request template of VSS's gateway service
``POST https://egw.baohiemxahoi.gov.vn/api/qd130/guiHoSoXmlQD4750`` (its ``fileHSBase64`` is
this file), HIS changelogs naming the XML1 fields, and a sample TONG_HOP record; FACTS §6.5
lists the same fields. To check against the decision's annex when it is at hand::

    <GIAMDINHHS>
      <THONGTINDONVI><MACSKCB>01001</MACSKCB></THONGTINDONVI>
      <THONGTINHOSO>
        <NGAYLAP>20260301</NGAYLAP>
        <SOLUONGHOSO>1</SOLUONGHOSO>
        <DANHSACHHOSO>
          <HOSO>                                  one treatment (one MA_LK)
            <FILEHOSO>
              <LOAIHOSO>XML1</LOAIHOSO>           the summary, table TONG_HOP
              <NOIDUNGFILE>base64 of <TONG_HOP>...</TONG_HOP></NOIDUNGFILE>
            </FILEHOSO>
            <FILEHOSO><LOAIHOSO>XML2</LOAIHOSO>...  drugs, services, ...: not read here
          </HOSO>
        </DANHSACHHOSO>
      </THONGTINHOSO>
      <CHUKYDONVI>...</CHUKYDONVI>                the facility's XML signature
    </GIAMDINHHS>

Security: the file comes from outside. It is read by expat with no DTD at all (a DOCTYPE is
refused where it starts, so no entity can be declared, expanded or fetched: the billion-laughs
and external-entity attacks need one), and so is each record's decoded TONG_HOP, in whatever
encoding its mark or declaration names (``xml_encoding``: handed to expat as UTF-8). The
CHUKYDONVI signature is not verified here: the facilities' certificates are not held yet; the
credential that sent the file (or the officer who imports it) answers for it.
"""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import NoReturn
from xml.parsers import expat

from sibook.core.errors import Problem, ValidationError
from sibook.visits.domain import FACILITY, REQUIRED, clipped
from sibook.visits.xml_encoding import as_utf8, utf8_problem

MAX_RECORDS = 20_000  # a month of a large hospital's claims is sent in several files
SUMMARY = "XML1"
# What a file may hold before it is refused unread, so that a body the API takes (up to
# SIBOOK_MAX_UPLOAD_BYTES) cannot become gigabytes of elements and minutes of parsing: an
# envelope is GIAMDINHHS / THONGTINHOSO / DANHSACHHOSO / HOSO / FILEHOSO / NOIDUNGFILE (a
# FILEHOSO and its two elements for each of a HOSO's tables, XML0 to XML15), and CHUKYDONVI's
# XML signature nests a few levels more; a TONG_HOP is some 70 fields one level deep.
MAX_DEPTH = 32
ENVELOPE_ELEMENTS = 64 * MAX_RECORDS
SUMMARY_ELEMENTS = 256
# The envelope's elements a file holds once, and a FILEHOSO's: read once, a second one would be
# left unread (another MACSKCB, a second list of records, another XML1 content), so that what
# is recorded is not all the file says.
ENVELOPE_ONCE = ("THONGTINDONVI", "THONGTINDONVI/MACSKCB", "THONGTINHOSO",
                 "THONGTINHOSO/SOLUONGHOSO", "THONGTINHOSO/DANHSACHHOSO")
FILE_ONCE = ("LOAIHOSO", "NOIDUNGFILE")


@dataclass(frozen=True)
class ClaimFile:
    """The facility a file is from and each record's XML1 fields, by its place in the file;
    ``problems``: why the others cannot be read, each by its record (``read_claims``)."""

    facility_code: str
    records: list[tuple[int, dict[str, str]]]
    problems: list[Problem] = field(default_factory=list)


class _Refused(Exception):
    pass


def _no_dtd(*_: object) -> NoReturn:
    raise _Refused("a DOCTYPE (DTD) is not allowed in a claim file: entities are never "
                   "expanded")


def parse_xml(data: bytes, max_elements: int) -> ET.Element:
    """The element tree of ``data``, without DTDs, entities or attributes (none is read);
    ValueError saying why not, as soon as it holds more than ``max_elements`` elements or
    nests them deeper than MAX_DEPTH, or when its encoding cannot be read (``as_utf8``)."""
    given, data = data, as_utf8(data)
    builder = ET.TreeBuilder()
    parser = expat.ParserCreate("UTF-8")  # what the file declares is read by ``as_utf8``
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _no_dtd
    parser.EntityDeclHandler = _no_dtd
    parser.UnparsedEntityDeclHandler = _no_dtd
    parser.ExternalEntityRefHandler = _no_dtd
    depth = elements = 0

    def start(tag: str, _attributes: object) -> None:
        nonlocal depth, elements
        depth, elements = depth + 1, elements + 1
        if depth > MAX_DEPTH:
            raise _Refused(f"elements are nested more than {MAX_DEPTH} deep")
        if elements > max_elements:
            raise _Refused(f"more than {max_elements:,} elements")
        builder.start(tag, {})

    def end(tag: str) -> None:
        nonlocal depth
        depth -= 1
        builder.end(tag)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = builder.data
    try:
        parser.Parse(data, True)
    except _Refused as exc:
        raise ValueError(str(exc)) from None
    except expat.ExpatError as exc:
        if data is given and (problem := utf8_problem(data)):  # read as UTF-8, and it is not
            raise ValueError(problem) from None
        raise ValueError(f"not well-formed XML: {expat.ErrorString(exc.code)} at line "
                         f"{exc.lineno}, column {exc.offset}") from None
    return builder.close()


def read_claim_file(data: bytes) -> ClaimFile:
    """The envelope's facility and records; ValidationError naming every record (``row``:
    its HOSO's place in DANHSACHHOSO) and field that cannot be read."""
    parsed = read_claims(data)
    if parsed.problems:
        raise ValidationError(parsed.problems)
    return parsed


def read_claims(data: bytes) -> ClaimFile:
    """The envelope's facility, the records that can be read and why each other one cannot
    (``problems``), so that a record's own problems are named with theirs, not only once it
    is sent again; ValidationError for an envelope that cannot be read."""
    if not data.strip():  # not "no element found at line 1, column 0"
        raise ValidationError(field="file", reason=(
            "the file is empty: a Decision 130/QĐ-BYT claim file is XML, <GIAMDINHHS>"))
    try:
        root = parse_xml(data, ENVELOPE_ELEMENTS)
    except ValueError as exc:
        raise ValidationError(field="file", reason=str(exc)) from None
    if root.tag != "GIAMDINHHS":
        raise ValidationError(field="file", reason=(
            f"the root element is <{clipped(root.tag)}>, not <GIAMDINHHS> (Decision 130/QĐ-BYT)"))
    problems = [Problem(field=path.rsplit("/", 1)[-1], reason=(
        f"{path} appears {n} times; a file holds it once"))
        for path in ENVELOPE_ONCE if (n := len(root.findall(path))) > 1]
    if problems:
        raise ValidationError(problems)
    facility = (root.findtext("THONGTINDONVI/MACSKCB") or "").strip()
    if not FACILITY.fullmatch(facility):
        problems.append(Problem(field="MACSKCB", reason=(
            "THONGTINDONVI/MACSKCB must be the facility's 5-digit code; got "
            f"{clipped(facility)!r}")))
    records = root.findall("THONGTINHOSO/DANHSACHHOSO/HOSO")
    stated = (root.findtext("THONGTINHOSO/SOLUONGHOSO") or "").strip()
    if not records:
        problems.append(Problem(field="DANHSACHHOSO", reason="the file holds no HOSO"))
    elif len(records) > MAX_RECORDS:
        problems.append(Problem(field="DANHSACHHOSO", reason=(
            f"{len(records):,} records; at most {MAX_RECORDS:,} a file")))
    elif stated and stated != str(len(records)):
        problems.append(Problem(field="SOLUONGHOSO", reason=(
            f"says {clipped(stated)} records but the file holds {len(records)}: cut short or "
            "altered")))
    if problems:
        raise ValidationError(problems)
    out: list[tuple[int, dict[str, str]]] = []
    for row, record in enumerate(records, start=1):
        fields = _summary(record, row, problems)
        if fields is not None:
            out.append((row, fields))
    return ClaimFile(facility, out, problems)


def _summary(record: ET.Element, row: int, problems: list[Problem]) -> dict[str, str] | None:
    """The fields of the record's XML1 (TONG_HOP), decoded from its base64."""
    def bad(field: str, reason: str) -> None:
        problems.append(Problem(field=field, reason=reason, row=row))

    files = record.findall("FILEHOSO")
    for tag in FILE_ONCE:
        if (most := max((len(f.findall(tag)) for f in files), default=0)) > 1:
            bad(tag, f"appears {most} times in one FILEHOSO; a FILEHOSO holds it once")
            return None
    summaries = [f for f in files if (f.findtext("LOAIHOSO") or "").strip() == SUMMARY]
    if len(summaries) != 1:
        bad("LOAIHOSO", f"a HOSO holds one FILEHOSO of LOAIHOSO {SUMMARY}; this one holds "
                        f"{len(summaries)}")
        return None
    holder = summaries[0].find("NOIDUNGFILE")
    if holder is not None and len(holder):
        bad("NOIDUNGFILE", "the XML1 content is written as XML elements; Decision 130 sends it "
                           "as the base64 of the <TONG_HOP> document")
        return None
    content = "".join((summaries[0].findtext("NOIDUNGFILE") or "").split())
    if not content:  # not "no element found at line 1, column 0" of the nothing it decodes to
        bad("NOIDUNGFILE", "the XML1 content is missing or empty: the base64 of the <TONG_HOP> "
                           "document goes there")
        return None
    try:
        raw = base64.b64decode(content, validate=True)
    except ValueError:  # binascii.Error, or a character outside ASCII
        bad("NOIDUNGFILE", "the XML1 content must be the base64 of a <TONG_HOP> document; "
                           "this is not base64")
        return None
    try:
        tree = parse_xml(raw, SUMMARY_ELEMENTS)
    except ValueError as exc:
        bad("NOIDUNGFILE", f"the decoded XML1 content: {exc}")
        return None
    if tree.tag != "TONG_HOP":
        bad("NOIDUNGFILE", f"the XML1 content is <{clipped(tree.tag)}>, not <TONG_HOP>")
        return None
    fields: dict[str, str] = {}
    broken: set[str] = set()  # each named once, all of them, not the first alone
    for child in tree:  # only the fields the book keeps are held, of thousands of records
        if child.tag not in REQUIRED or child.tag in broken:
            continue
        if child.tag in fields:
            bad(child.tag, "appears twice in TONG_HOP")
            broken.add(child.tag)
        elif len(child):
            bad(child.tag, "holds XML elements; its value is text")
            broken.add(child.tag)
        else:
            fields[child.tag] = child.text or ""
    return None if broken else fields
