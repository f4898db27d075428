"""Reading a facility's Decision 130 claim file and checking its XML1 records (pure): each
problem named by record and field, no DTD or entity ever read."""

from __future__ import annotations

import base64
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sibook.core.errors import ValidationError
from sibook.visits import xml130
from sibook.visits.domain import VISIT_TYPES, read_record
from sibook.visits.xml130 import MAX_DEPTH, SUMMARY_ELEMENTS, read_claim_file
from tests.visit_files import FACILITY, claim_file, summary, tong_hop

NOW = datetime(2026, 4, 1, 12, 0)
PID, CARD = "001089012345", "DN4010123456789"


def record(**fields: str | None) -> dict[str, str]:
    return summary(**{"SO_CCCD": PID, "MA_THE_BHYT": CARD, **fields})


def problems(**fields: str | None) -> list[tuple[str, str]]:
    visit, found = read_record(record(**fields), 3, FACILITY, NOW)
    assert (visit is None) == bool(found)
    assert all(p.row == 3 for p in found)
    return [(p.field, p.reason) for p in found]


def refusal(data: bytes) -> list[tuple[int | None, str, str]]:
    with pytest.raises(ValidationError) as caught:
        read_claim_file(data)
    return [(p.row, p.field, p.reason) for p in caught.value.problems]


@pytest.mark.parametrize("data", [b"", b"\n  \n"])
def test_an_empty_file_is_said_to_be_empty(data: bytes) -> None:
    (refused,) = refusal(data)  # not "no element found at line 1, column 0"
    assert refused[:2] == (None, "file") and refused[2].startswith("the file is empty")


def test_a_record_is_read_into_a_visit_with_integer_money() -> None:
    visit, found = read_record(record(T_TONGCHI_BV="237300.00"), 1, FACILITY, NOW)
    assert found == [] and visit is not None
    assert (visit.facility_code, visit.link_code, visit.personal_id, visit.cards) == \
        (FACILITY, "LK0001", PID, (CARD,))
    assert (visit.admitted_at, visit.discharged_at) == (datetime(2026, 3, 2, 8, 30),
                                                        datetime(2026, 3, 2, 10, 15))
    assert (visit.total_cost, visit.hi_paid, visit.patient_paid) == (237_300, 189_840, 47_460)


@pytest.mark.parametrize(("name", "why"), [(None, "is required"), (" ", "is required"),
                                           ("An\u202eNguyễn", "control characters"),
                                           ("A" * 256, "at most 255")])
def test_the_patients_name_is_required_as_printable_text(name: str | None, why: str) -> None:
    [(field, reason)] = problems(HO_TEN=name)
    assert field == "HO_TEN" and why in reason


@pytest.mark.parametrize(("code", "name"), [
    ("04", "Điều trị nội trú ban ngày"), ("07", "Nhận thuốc theo hẹn (không khám bệnh)"),
    ("09", "Điều trị nội trú dưới 04 (bốn) giờ"), ("10", "Các trường hợp khác")])
def test_the_visit_types_of_decision_130s_annex_are_read(code: str, name: str) -> None:
    visit, found = read_record(record(MA_LOAI_KCB=code), 1, FACILITY, NOW)
    assert found == [] and visit is not None and visit.visit_type == code
    assert VISIT_TYPES[code] == name


@pytest.mark.parametrize("code", ["00", "1", "11", "16", "99", "0١"])
def test_a_visit_type_outside_the_annex_is_refused_naming_the_field(code: str) -> None:
    [(field, reason)] = problems(MA_LOAI_KCB=code)
    assert field == "MA_LOAI_KCB"
    assert reason == f"{code!r} is not a visit type of Decision 130/QĐ-BYT (01, 02, 03, 04, 05, " \
                     "06, 07, 08, 09, 10)"


def test_discharge_before_admission_is_refused_on_ngay_ra() -> None:
    assert problems(NGAY_RA="202603020700") == [
        ("NGAY_RA", "discharge 202603020700 is before admission 202603020830")]


@pytest.mark.parametrize("stamp", ["2026-03-02", "20260302", "202613020830", "202603022561",
                                   "202602300830", "000103020830", "２０２６０３０２０８３０"])
def test_a_time_not_yyyymmddhhmm_is_refused(stamp: str) -> None:
    [(field, reason)] = problems(NGAY_VAO=stamp)
    assert field == "NGAY_VAO" and "yyyymmddHHMM" in reason


def test_amounts_with_decimals_as_the_decision_writes_them_are_kept_in_whole_vnd_half_up(
        ) -> None:
    """A co-payment of 20% falls on a fraction of a dong: "47460.40" is a valid amount."""
    visit, found = read_record(record(T_TONGCHI_BV="237300.5", T_BHTT="189839.6",
                                      T_BNCCT="47460.40"), 1, FACILITY, NOW)
    assert found == [] and visit is not None
    assert (visit.total_cost, visit.hi_paid, visit.patient_paid) == (237_301, 189_840, 47_460)


def test_what_is_paid_is_checked_against_the_charge_to_the_hundredth() -> None:
    """Rounded, 189,840 + 47,460 would be within 237,300: exact, they are 0.20 above it."""
    [(field, reason)] = problems(T_TONGCHI_BV="237300", T_BHTT="189840.4", T_BNCCT="47459.8")
    assert field == "T_BHTT" and reason == (
        "what the HI fund pays (189,840.40) and the co-payment (47,459.80) exceed the visit's "
        "total cost (237,300)")


@pytest.mark.parametrize(("amount", "why"), [("-100", "negative"),
                                             ("47460.405", "more than 2 decimals"),
                                             ("1e5", "not an amount"), ("12,000", "not an amount")])
def test_money_must_be_non_negative_vnd_of_two_decimals(amount: str, why: str) -> None:
    [(field, reason)] = problems(T_BNCCT=amount)
    assert field == "T_BNCCT" and why in reason


@pytest.mark.parametrize("amount", ["9" * 5000, "0" * 5000 + "1" + "0" * 20, "-" + "1" * 4400],
                         ids=["5000 nines", "leading zeros", "negative"])
def test_an_amount_of_thousands_of_digits_is_refused_by_field_not_a_crash(amount: str) -> None:
    [(field, reason)] = problems(T_TONGCHI_BV=amount)
    assert field == "T_TONGCHI_BV" and "more than any visit costs" in reason


def test_a_refusal_quotes_a_huge_value_cut_short() -> None:
    huge = "9" * 100 + "x" * 1_000_000
    found = problems(MA_CSKCB=huge, SO_CCCD=huge, NGAY_VAO=huge, MA_BENH_CHINH="A" + huge,
                     MA_LOAI_KCB=huge, T_TONGCHI_BV=huge, T_BHTT="1." + "5" * 1_000_000,
                     T_BNCCT=huge)
    assert {field for field, _ in found} >= {"MA_CSKCB", "SO_CCCD", "NGAY_VAO", "MA_BENH_CHINH",
                                             "MA_LOAI_KCB", "T_TONGCHI_BV", "T_BHTT", "T_BNCCT"}
    assert all(len(reason) < 300 for _, reason in found), [len(r) for _, r in found]
    envelope = claim_file([record()], facility=huge).replace(
        b"<SOLUONGHOSO>1<", f"<SOLUONGHOSO>{huge}<".encode())
    assert all(len(reason) < 300 for _, _, reason in refusal(envelope))
    assert all(len(reason) < 300 for _, _, reason in refusal(f"<R{huge}/>".encode()))


def test_what_is_paid_cannot_exceed_the_total_cost() -> None:
    [(field, reason)] = problems(T_TONGCHI_BV="100000")
    assert field == "T_BHTT" and "exceed the visit's total cost (100,000)" in reason


def test_every_missing_field_is_named() -> None:
    assert [f for f, _ in problems(MA_LK=None, T_BHTT="")] == ["MA_LK", "T_BHTT"]


def test_a_missing_field_does_not_hide_the_records_other_problems() -> None:
    """A hospital mends a refused record once: the missing field was named alone before, and
    the record's other problems only after it was sent again."""
    found = problems(MA_LK=None, MA_BENH_CHINH="viêm họng", NGAY_RA="2026-03-01",
                     T_BHTT="")
    assert [f for f, _ in found] == ["MA_LK", "T_BHTT", "NGAY_RA", "MA_BENH_CHINH"]


def test_codes_are_checked_by_field() -> None:
    found = dict(problems(MA_BENH_CHINH="viêm họng", MA_LOAI_KCB="42", SO_CCCD="12345",
                          MA_THE_BHYT="DN401", MA_CSKCB="79001"))
    assert set(found) == {"MA_BENH_CHINH", "MA_LOAI_KCB", "SO_CCCD", "MA_THE_BHYT",
                          "MA_CSKCB"}
    assert "not the facility the file is from (01001)" in found["MA_CSKCB"]


@pytest.mark.parametrize(("pid", "why"), [
    ("12345", "must have 12 digits, not 5"),
    ("003089012345", "the first three digits 003 are not a known place of birth registration"),
    ("001227012345", "give birth year 2027, which is in the future"),
])
def test_a_personal_id_that_cannot_be_is_refused_saying_why(pid: str, why: str) -> None:
    """As ids inspect says it, the year judged by the file's day: "is not a personal ID (12
    digits)" was all a facility read of 12 digits whose birth place or year cannot be."""
    [(field, reason)] = problems(SO_CCCD=pid)
    assert field == "SO_CCCD" and why in reason, reason


def test_a_discharge_in_the_future_is_refused() -> None:
    [(field, reason)] = problems(NGAY_RA="202604011300")
    assert field == "NGAY_RA" and "future" in reason


def test_the_envelope_gives_the_facility_and_each_records_fields_by_place() -> None:
    parsed = read_claim_file(claim_file([record(), record(MA_LK="LK0002")]))
    assert parsed.facility_code == FACILITY
    assert [(row, f["MA_LK"]) for row, f in parsed.records] == [(1, "LK0001"), (2, "LK0002")]


def test_a_doctype_is_refused_and_no_entity_is_expanded() -> None:
    bomb = (b'<?xml version="1.0"?><!DOCTYPE GIAMDINHHS [<!ENTITY a "aaaaaaaaaa">'
            b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><GIAMDINHHS>&b;</GIAMDINHHS>')
    [(row, field, reason)] = refusal(bomb)
    assert (row, field) == (None, "file") and "DOCTYPE" in reason


def test_an_entity_inside_a_records_content_is_refused_by_record() -> None:
    inner = (b'<!DOCTYPE TONG_HOP [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
             b"<TONG_HOP><MA_LK>&x;</MA_LK></TONG_HOP>")
    data = claim_file([record()])
    start = data.index(b"<NOIDUNGFILE>") + len(b"<NOIDUNGFILE>")
    end = data.index(b"</NOIDUNGFILE>")
    data = data[:start] + base64.b64encode(inner) + data[end:]
    [(row, field, reason)] = refusal(data)
    assert (row, field) == (1, "NOIDUNGFILE") and "DOCTYPE" in reason


def test_malformed_xml_other_roots_and_bad_base64_are_refused_saying_why() -> None:
    assert "not well-formed XML" in refusal(b"<GIAMDINHHS><THONGTINHOSO>")[0][2]
    assert "not <GIAMDINHHS>" in refusal(b"<TONG_HOP/>")[0][2]
    data = claim_file([record()])
    start = data.index(b"<NOIDUNGFILE>") + len(b"<NOIDUNGFILE>")
    assert refusal(data[:start] + b"%%%" + data[start:])[0][:2] == (1, "NOIDUNGFILE")


def test_a_count_that_does_not_match_the_records_is_refused() -> None:
    [(_, field, reason)] = refusal(claim_file([record()], count=2))
    assert field == "SOLUONGHOSO" and "holds 1" in reason


def test_a_record_without_its_xml1_is_refused_by_record() -> None:
    data = claim_file([record(), record(MA_LK="LK2")]).replace(b"XML1", b"XML9")
    assert [(r, f) for r, f, _ in refusal(data)] == [(1, "LOAIHOSO"), (2, "LOAIHOSO")]


@pytest.mark.parametrize(("old", "new", "field"), [
    (b"</THONGTINDONVI>", b"<MACSKCB>79001</MACSKCB></THONGTINDONVI>", "MACSKCB"),
    (b"<SOLUONGHOSO>2</SOLUONGHOSO>", b"<SOLUONGHOSO>2</SOLUONGHOSO><SOLUONGHOSO>9</SOLUONGHOSO>",
     "SOLUONGHOSO"),
    (b"</DANHSACHHOSO>", b"</DANHSACHHOSO><DANHSACHHOSO></DANHSACHHOSO>", "DANHSACHHOSO"),
    (b"<CHUKYDONVI/>", b"<THONGTINHOSO/><CHUKYDONVI/>", "THONGTINHOSO"),
])
def test_an_envelope_element_written_twice_is_refused_not_half_read(
        old: bytes, new: bytes, field: str) -> None:
    """A second MACSKCB, count or list of records would be left unread: which is meant?"""
    data = claim_file([record(), record(MA_LK="LK2")])
    found = refusal(data.replace(old, new, 1))
    assert (None, field) in [(row, f) for row, f, _ in found]
    assert all("appears 2 times" in reason for _, _, reason in found)


@pytest.mark.parametrize("tag", ["NOIDUNGFILE", "LOAIHOSO"])
def test_a_filehoso_holding_its_content_or_type_twice_is_refused_by_record(tag: str) -> None:
    """Another XML1 content (or type) in the record's XML1: one of the two would be unread."""
    data = claim_file([record(), record(MA_LK="LK2")])
    at = data.index(b"</FILEHOSO>", data.rindex(b"<HOSO>"))  # the second record's XML1
    value = base64.b64encode(tong_hop(record(MA_LK="LK3"))) if tag == "NOIDUNGFILE" else b"XML1"
    data = data[:at] + f"<{tag}>".encode() + value + f"</{tag}>".encode() + data[at:]
    [(row, field, reason)] = refusal(data)
    assert (row, field) == (2, tag) and "appears 2 times in one FILEHOSO" in reason


@pytest.mark.parametrize("content", [b"", b"<NOIDUNGFILE> \n </NOIDUNGFILE>"])
def test_an_xml1_without_its_content_is_said_to_have_none(content: bytes) -> None:
    data = claim_file([record()])
    start = data.index(b"<NOIDUNGFILE>")
    end = data.index(b"</NOIDUNGFILE>") + len(b"</NOIDUNGFILE>")
    [(row, field, reason)] = refusal(data[:start] + content + data[end:])
    assert (row, field) == (1, "NOIDUNGFILE") and "missing or empty" in reason


def test_a_facility_code_not_five_digits_is_refused() -> None:
    [(_, field, _reason)] = refusal(claim_file([record()], facility="BV01"))
    assert field == "MACSKCB"


def test_xml1_written_inline_instead_of_base64_is_refused_saying_so() -> None:
    data = claim_file([record()])
    start = data.index(b"<NOIDUNGFILE>") + len(b"<NOIDUNGFILE>")
    end = data.index(b"</NOIDUNGFILE>")
    [(row, field, reason)] = refusal(data[:start] + b"<TONG_HOP><MA_LK>1</MA_LK></TONG_HOP>"
                                     + data[end:])
    assert (row, field) == (1, "NOIDUNGFILE") and "base64" in reason


def with_summary(inner: bytes, records: int = 1) -> bytes:
    """A file of ``records`` records, each with ``inner`` as its XML1 content."""
    data = claim_file([record(MA_LK=f"LK{n}") for n in range(records)])
    for n in range(records):
        encoded = base64.b64encode(tong_hop(record(MA_LK=f"LK{n}")))
        data = data.replace(encoded, base64.b64encode(inner))
    return data


def test_an_encoding_python_cannot_read_is_refused_naming_file_or_record() -> None:
    [(row, field, reason)] = refusal(b'<?xml version="1.0" encoding="x-unknown"?><GIAMDINHHS/>')
    assert (row, field) == (None, "file") and "x-unknown" in reason
    inner = b'<?xml version="1.0" encoding="x-unknown"?><TONG_HOP/>'
    [(row, field, reason)] = refusal(with_summary(inner))
    assert (row, field) == (1, "NOIDUNGFILE") and "x-unknown" in reason


@pytest.mark.parametrize("name", ["UTF8", "utf_8", "utf8"])
def test_utf8_declared_by_another_of_its_names_is_read_as_utf8(name: str) -> None:
    """Java writes "UTF8": expat, knowing only "UTF-8", read it a byte at a time and refused
    every Vietnamese letter as "not well-formed (invalid token)"."""
    inner = tong_hop(record(HO_TEN="Nguyễn Văn Ánh")).replace(b"utf-8", name.encode())
    data = with_summary(inner).replace(b"utf-8", name.encode())
    [(_, fields)] = read_claim_file(data).records
    assert fields["HO_TEN"] == "Nguyễn Văn Ánh"


def in_encoding(codec: str, declared: str, name: str = "Nguyễn Văn Ánh") -> bytes:
    """A file written in ``codec`` declaring ``declared``, its record's TONG_HOP too."""
    def written(xml: bytes) -> bytes:
        return xml.decode().replace('encoding="utf-8"', f'encoding="{declared}"').encode(codec)
    return written(with_summary(written(tong_hop(record(HO_TEN=name)))))


@pytest.mark.parametrize(("codec", "declared", "name"), [
    ("utf-16", "UTF-16", "Nguyễn Văn Ánh"),  # its byte order mark first, as Windows writes it
    ("utf-16-be", "UTF-16", "Nguyễn Văn Ánh"),  # no mark: "<?" two bytes wide says so
    ("utf-32", "UTF-32", "Nguyễn Văn Ánh"),  # expat: "not well-formed (invalid token)"
    ("gb18030", "GB18030", "Nguyễn Văn Ánh"),  # expat: "multi-byte encodings are not ..."
    ("shift_jis", "Shift_JIS", "山田太郎"),
    ("cp037", "IBM037", "Nguyen Van An"),  # EBCDIC: its declaration read by its "<?xm"
])
def test_a_file_is_read_in_any_encoding_its_mark_or_declaration_names(
        codec: str, declared: str, name: str) -> None:
    [(_, fields)] = read_claim_file(in_encoding(codec, declared, name)).records
    assert fields["HO_TEN"] == name


@pytest.mark.parametrize(("data", "why"), [
    (b'<?xml version="1.0" encoding="base64"?><GIAMDINHHS/>', "'base64', which is not a text"),
    (b'\xef\xbb\xbf<?xml version="1.0" encoding="UTF-16"?><GIAMDINHHS/>',
     "written in UTF-8 (its first bytes say so) but its XML declaration names 'UTF-16'"),
    (b'<?xml version="1.0" encoding="UTF-32"?><GIAMDINHHS/>',
     "names 'UTF-32' but the file is written in one-byte characters"),
    (b'<?xml version="1.0" encoding="Shift_JIS"?><GIAMDINHHS>\xff</GIAMDINHHS>',
     "byte 0xFF at offset 54 of the file is not Shift_JIS"),
])
def test_an_encoding_that_cannot_be_read_is_refused_saying_why(data: bytes, why: str) -> None:
    [(row, field, reason)] = refusal(data)
    assert (row, field) == (None, "file") and why in reason, reason


def test_bytes_not_utf8_in_a_file_read_as_utf8_are_named_not_an_invalid_token() -> None:
    """A HIS writing Windows-1258 and declaring nothing: expat said "not well-formed (invalid
    token) at line 1, column 65", which hid that the encoding was the problem."""
    inner = tong_hop(record(HO_TEN="Nguy\u00ea\u0303n Văn An")).decode()
    inner = inner.replace('<?xml version="1.0" encoding="utf-8"?>', "").encode("cp1258")
    [(row, field, reason)] = refusal(with_summary(inner))
    at = inner.index(b"\xea")
    assert (row, field) == (1, "NOIDUNGFILE"), reason
    assert f"byte 0xEA at offset {at} (line 1) is not UTF-8, the encoding of a file whose " \
           "XML declaration names none" in reason and "windows-1258" in reason
    data = b'\xef\xbb\xbf<?xml version="1.0" encoding="UTF8"?>\n<GIAMDINHHS>\xff</GIAMDINHHS>'
    [(row, field, reason)] = refusal(data)
    assert (row, field) == (None, "file")
    at = data.index(b"\xff")
    assert reason.startswith(f"byte 0xFF at offset {at} (line 2) is not "
                             "UTF-8, the encoding its declaration names ('UTF8')"), reason


def test_deep_nesting_is_refused_where_it_passes_the_limit() -> None:
    depth = 200_000
    deep = b"<GIAMDINHHS>" + b"<a>" * depth + b"</a>" * depth + b"</GIAMDINHHS>"
    [(row, field, reason)] = refusal(deep)
    assert (row, field) == (None, "file") and f"more than {MAX_DEPTH} deep" in reason
    [(row, field, reason)] = refusal(with_summary(b"<TONG_HOP>" + b"<a>" * 50 + b"</a>" * 50
                                                  + b"</TONG_HOP>"))
    assert (row, field) == (1, "NOIDUNGFILE") and "deep" in reason


def test_a_file_of_too_many_elements_is_refused_before_it_is_all_built(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xml130, "ENVELOPE_ELEMENTS", 1000)
    [(row, field, reason)] = refusal(b"<GIAMDINHHS>" + b"<a/>" * 1000 + b"</GIAMDINHHS>")
    assert (row, field) == (None, "file") and "more than 1,000 elements" in reason
    many = b"<TONG_HOP>" + b"<MA_BN/>" * SUMMARY_ELEMENTS + b"</TONG_HOP>"
    [(row, field, reason)] = refusal(with_summary(many, 2))[:1]
    assert (row, field) == (1, "NOIDUNGFILE") and "elements" in reason


def test_every_field_written_twice_or_holding_elements_is_named_not_the_first_alone() -> None:
    inner = tong_hop(record()).replace(b"<MA_LK>LK0001</MA_LK>",
                                       b"<MA_LK>LK0001</MA_LK><MA_LK>LK0002</MA_LK>"
                                       b"<MA_LK>LK0003</MA_LK>")
    inner = inner.replace(b"<T_BHTT>189840</T_BHTT>", b"<T_BHTT><v>189840</v></T_BHTT>")
    assert refusal(with_summary(inner)) == [(1, "MA_LK", "appears twice in TONG_HOP"), (
        1, "T_BHTT", "holds XML elements; its value is text")]


def test_a_field_holding_elements_is_refused_not_read_in_part() -> None:
    inner = tong_hop(record()).replace(b"<MA_LK>LK0001</MA_LK>",
                                       b"<MA_LK>LK<x/>0001</MA_LK>")
    [(row, field, reason)] = refusal(with_summary(inner))
    assert (row, field) == (1, "MA_LK") and "text" in reason


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400) | st.text(max_size=400).map(str.encode),
       st.integers(min_value=0, max_value=2000))
def test_any_bytes_are_read_or_refused_never_crash(noise: bytes, at: int) -> None:
    """Garbage, or a valid file with garbage spliced in, is a file or a refusal by field."""
    data = claim_file([record(), record(MA_LK="LK2")])
    for candidate in (noise, data[:at] + noise + data[at:]):
        try:
            parsed = read_claim_file(candidate)
        except ValidationError as exc:
            assert exc.problems and all(p.field and p.reason for p in exc.problems)
            continue
        for row, fields in parsed.records:
            read_record(fields, row, parsed.facility_code, NOW)
