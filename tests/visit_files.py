"""Claim files as health facilities send them (Decision 130/QĐ-BYT), for the visits tests."""

from __future__ import annotations

import base64
from typing import Any
from xml.sax.saxutils import escape

FACILITY = "01001"


def summary(**fields: Any) -> dict[str, str]:
    """An XML1 record's fields: a one-day outpatient visit unless ``fields`` say otherwise
    (a value of None leaves the field out)."""
    base = {"MA_LK": "LK0001", "MA_BN": "BN01", "HO_TEN": "Nguyễn Văn An",
            "SO_CCCD": "", "MA_THE_BHYT": "", "MA_CSKCB": FACILITY,
            "NGAY_VAO": "202603020830", "NGAY_RA": "202603021015", "MA_BENH_CHINH": "J03",
            "MA_LOAI_KCB": "01", "T_TONGCHI_BV": "237300", "T_BHTT": "189840",
            "T_BNCCT": "47460"}
    return {k: str(v) for k, v in {**base, **fields}.items() if v is not None}


def tong_hop(fields: dict[str, str]) -> bytes:
    inner = "".join(f"<{k}>{escape(v)}</{k}>" for k, v in fields.items())
    return f'<?xml version="1.0" encoding="utf-8"?><TONG_HOP>{inner}</TONG_HOP>'.encode()


def claim_file(records: list[dict[str, str]], facility: str = FACILITY, *,
               count: int | None = None) -> bytes:
    """The GIAMDINHHS envelope around ``records`` (each one HOSO: its XML1, and an XML2 that
    is not read)."""
    hosos = "".join(
        "<HOSO><FILEHOSO><LOAIHOSO>XML1</LOAIHOSO><NOIDUNGFILE>"
        + base64.b64encode(tong_hop(r)).decode()
        + "</NOIDUNGFILE></FILEHOSO><FILEHOSO><LOAIHOSO>XML2</LOAIHOSO><NOIDUNGFILE>"
        + base64.b64encode(b"<DSACH_CHI_TIET_THUOC/>").decode()
        + "</NOIDUNGFILE></FILEHOSO></HOSO>" for r in records)
    n = len(records) if count is None else count
    return ('<?xml version="1.0" encoding="utf-8"?>\n<GIAMDINHHS xmlns:xsi='
            '"http://www.w3.org/2001/XMLSchema-instance"><THONGTINDONVI><MACSKCB>'
            f"{facility}</MACSKCB></THONGTINDONVI><THONGTINHOSO><NGAYLAP>20260303</NGAYLAP>"
            f"<SOLUONGHOSO>{n}</SOLUONGHOSO><DANHSACHHOSO>{hosos}</DANHSACHHOSO>"
            "</THONGTINHOSO><CHUKYDONVI/></GIAMDINHHS>").encode()
