"""XLSX cells that hold no value of their own (a formula never calculated, one that failed, one a
merged range covers) are refused by their cell, never read as empty or as the error's text; what
the sheet does not show (a hidden row, column or sheet) is never read without a word."""

from __future__ import annotations

import io
import time
import zipfile

import pytest
from openpyxl import Workbook
from sqlalchemy import Engine

from sibook.contributions.declare import declare
from sibook.contributions.parsers import read_frames
from sibook.contributions.validate import check_frame
from sibook.core.db import unit_of_work
from sibook.core.errors import ValidationError
from tests.integration.ledger_fixtures import (
    EMPLOYER,
    WORKER_NAMES,
    setup_workers,
    snapshot,
    worker_id,
)
from tests.integration.test_declaration_files import AN, JAN, checked, refusal, xlsx_of
from tests.integration.test_declaration_hostile_files import SHEET

HEAD = ["personal_id", "full_name", "case_code", "job_title", "salary", "allowances", "from_month"]


def test_formulas_a_program_wrote_and_no_one_calculated_are_refused_by_cell(engine: Engine
                                                                           ) -> None:
    """openpyxl (as any program writing a workbook) stores the formula and no value: read as
    an empty cell, the allowances would be filed as none and the month as the declared one."""
    setup_workers(engine, 1)
    data = xlsx_of([HEAD,
                    [AN, WORKER_NAMES[AN], "TM", "Kế toán", "=10000000*1.5", 500_000, "2026-01"],
                    [AN, WORKER_NAMES[AN], "DC", None, 16_000_000, "=E2/10", "=TEXT(NOW(),0)"]])
    before = snapshot(engine)
    with pytest.raises(ValidationError) as refused, unit_of_work(engine) as s:
        declare(session=s, data=data, file_name="d02.xlsx", employer_code=EMPLOYER, month=JAN)
    problems = refused.value.problems
    assert [(p.row, p.field, p.reason.split(" (")[0]) for p in problems] == [
        (2, "salary", "cell E2 holds a formula with no computed value"),
        (3, "allowances", "cell F3 holds a formula with no computed value"),
        (3, "from_month", "cell G3 holds a formula with no computed value"),
    ]
    assert "open it in a spreadsheet program and save it" in problems[0].reason
    assert snapshot(engine) == before


def test_a_formula_excel_calculated_is_its_value() -> None:
    data = xlsx_of([HEAD, [AN, None, "TM", None, "=10000000*1.5", None, None]])
    calculated = sheet_replaced(data, "<f>10000000*1.5</f><v></v>",
                                "<f>10000000*1.5</f><v>15000000</v>")
    assert checked(calculated, "xlsx") == ([(2, 15_000_000)], [])


def test_a_formula_in_a_column_the_filing_ignores_is_not_read() -> None:
    data = xlsx_of([[*HEAD[:3], "note", "salary"], [AN, None, "TM", "=A2", 9_000_000]])
    assert checked(data, "xlsx") == ([(2, 9_000_000)], [])


def test_an_error_a_formula_left_is_refused_not_read_as_its_text() -> None:
    """#N/A in the job title would otherwise be the worker's job title."""
    (problem,) = refusal(xlsx_of([HEAD, [AN, None, "TM", "#N/A", 9_000_000, None, None]]),
                         "xlsx")
    assert (problem.row, problem.field, problem.reason) == (
        2, "job_title", "cell D2 holds the error #N/A, a formula that failed: correct it in the "
        "spreadsheet")


def test_a_column_name_left_uncalculated_is_refused_by_its_cell() -> None:
    (problem,) = refusal(xlsx_of([["personal_id", "case_code", '=LOWER("SALARY")'],
                                  [AN, "TM", 9_000_000]]), "xlsx")
    assert (problem.row, problem.field) == (1, "header")
    assert problem.reason.startswith("cell C1 holds a formula with no computed value")


def test_a_row_numbered_again_is_refused_not_dropped() -> None:
    """openpyxl's own reader skips a row whose number is not after the last one's."""
    data = xlsx_of([["personal_id", "case_code", "salary"], [AN, "TM", 8_000_000],
                    [AN, "DC", 9_000_000]])
    again = sheet_replaced(sheet_replaced(data, '<row r="3">', '<row r="2">'), 'r="A3"', 'r="A2"')
    (problem,) = refusal(again, "xlsx")
    assert (problem.row, problem.field) == (2, "file")
    assert problem.reason.startswith("the sheet's row 2 comes after its row 2")


def test_a_value_merged_down_over_several_rows_is_refused_not_read_for_the_first_alone(
        engine: Engine) -> None:
    """The sheet shows 2025-10 beside both workers; the second's cell is empty in the file, so
    read, his line would be filed from the declared month, without a word."""
    setup_workers(engine, 2)
    sheet = Workbook()
    rows = sheet.active
    assert rows is not None
    for row in [HEAD, [AN, WORKER_NAMES[AN], "TM", None, 9_000_000, None, "2025-10"],
                [worker_id(1), WORKER_NAMES[worker_id(1)], "TM", None, 9_000_000]]:
        rows.append(row)
    rows.merge_cells("G2:G3")
    out = io.BytesIO()
    sheet.save(out)
    before = snapshot(engine)
    with pytest.raises(ValidationError) as refused, unit_of_work(engine) as s:
        declare(session=s, data=out.getvalue(), file_name="d02.xlsx", employer_code=EMPLOYER,
                month=JAN)
    assert [(p.row, p.field, p.reason) for p in refused.value.problems] == [
        (3, "from_month", "cells G2:G3 are merged: their value is held by G2 alone, and the "
         "others would be read as empty; unmerge them and write the value in each cell")]
    assert snapshot(engine) == before


def test_a_column_title_merged_across_the_columns_beside_it_is_refused() -> None:
    """One title over three allowances: the filing would read the first and drop the others."""
    book = Workbook()
    rows = book.active
    assert rows is not None
    for row in [["personal_id", "case_code", "salary", "allowances"],
                [AN, "TM", 9_000_000, 500_000, 300_000, 200_000]]:
        rows.append(row)
    rows.merge_cells("D1:F1")
    (problem,) = refusal(saved(book), "xlsx")
    assert (problem.row, problem.field, problem.reason) == (
        1, "allowances", "cells D1:F1 are merged: the column allowances is read from D alone, "
        "and the columns its title spans beside it not at all; unmerge the title, and give "
        "each column its own")


def test_a_merge_down_to_the_last_row_of_a_sheet_is_refused_quickly() -> None:
    data = xlsx_of([["personal_id", "case_code", "from_month"], [AN, "TM", "2025-12"]])
    # a cell of each is read: not a cell the ranges cover (billions, a few bytes each)
    refs = [f"{column}2:{column}1048576" for column in "ABC"] + ["D2:CZ1048576"]
    merges = "".join(f'<mergeCell ref="{ref}"/>' for ref in refs)
    data = sheet_replaced(data, "</sheetData>",
                          f'</sheetData><mergeCells count="4">{merges}</mergeCells>')
    started = time.monotonic()
    problems = refusal(data, "xlsx")
    assert time.monotonic() - started < 2
    assert [(p.row, p.field) for p in problems] == [(3, "personal_id"), (3, "case_code"),
                                                     (3, "from_month")]


def test_a_heading_merged_across_a_row_from_a_column_the_filing_ignores_is_read() -> None:
    """A group's heading ("I. Tăng") across the row: no cell the filing reads shows a value."""
    book = Workbook()
    rows = book.active
    assert rows is not None
    for row in [["stt", "personal_id", "case_code", "salary"], ["I. Tăng"],
                [1, AN, "TM", 9_000_000]]:
        rows.append(row)
    rows.merge_cells("A2:D2")
    rows.merge_cells("A1:A1")
    assert checked(saved(book), "xlsx") == ([(3, 9_000_000)], [])


def test_a_hidden_row_or_column_the_filing_would_read_is_refused() -> None:
    """A row a filter hides (last month's leavers, kept in the sheet) would be filed unseen."""
    book = Workbook()
    rows = book.active
    assert rows is not None
    for row in [["personal_id", "case_code", "phu_cap", "note", "muc_luong"],
                [AN, "TM", None, "x", 9_000_000], [AN, "GH", None, None, None],
                [None, None, None, "hidden, ignored"]]:
        rows.append(row)
    rows.row_dimensions[3].hidden = True
    rows.row_dimensions[4].hidden = True
    rows.column_dimensions["D"].hidden = True  # not read: may stay hidden
    rows.column_dimensions["E"].hidden = True
    assert [(p.row, p.field, p.reason.split(":")[0]) for p in refusal(saved(book), "xlsx")] == [
        (1, "salary", "column E (muc_luong) is hidden"),
        (3, "file", "the row is hidden (by a filter or Hide)"),
    ]


def test_a_hidden_row_above_the_header_is_no_part_of_the_table() -> None:
    book = Workbook()
    rows = book.active
    assert rows is not None
    for row in [["Mẫu D02-LT: không sửa dòng dưới"], ["personal_id", "case_code", "salary"],
                [AN, "TM", 9_000_000]]:
        rows.append(row)
    rows.row_dimensions[1].hidden = True
    assert checked(saved(book), "xlsx") == ([(3, 9_000_000)], [])


def test_a_hidden_sheet_is_passed_over_and_a_header_refusal_names_the_sheet_read() -> None:
    book = Workbook()
    first = book.active
    assert first is not None
    first.append(["personal_id", "case_code", "salary"])
    first.append([AN, "GH", None])  # a list no one sees: never filed
    first.sheet_state = "hidden"
    book.create_sheet("Hướng dẫn").append(["Điền danh sách ở trang D02"])
    shown = book.create_sheet("D02")
    shown.append(["personal_id", "case_code", "salary"])
    shown.append([AN, "TM", 9_000_000])
    (problem,) = refusal(saved(book), "xlsx")
    assert (problem.row, problem.field) == (1, "header")
    assert problem.reason.endswith("(the list is read from the first sheet, Hướng dẫn, only)")
    book.move_sheet("D02", offset=-1)
    assert checked(saved(book), "xlsx") == ([(2, 9_000_000)], [])


def test_a_list_on_a_second_sheet_is_refused_not_left_unfiled() -> None:
    """Increases on one sheet, decreases on the next: the second list would not be filed."""
    book = Workbook()
    first = book.active
    assert first is not None
    first.title = "Tăng"
    first.append(["personal_id", "case_code", "salary"])
    first.append([AN, "TM", 9_000_000])
    book.create_sheet("Ghi chú").append(["Lập ngày 20/11"])  # notes: no list
    decreases = book.create_sheet("Giảm")
    decreases.append([None])
    decreases.append(["Số định danh", "Phương án"])
    decreases.append([AN, "GH"])
    (problem,) = refusal(saved(book), "xlsx")
    assert (problem.row, problem.field, problem.reason) == (
        None, "file", "the sheet Giảm holds a list too (its row 2 names the columns), which would "
        "not be filed: only the first sheet, Tăng, is read; file that list as its own file "
        "(another batch), or delete the sheet")
    del book["Giảm"]
    assert checked(saved(book), "xlsx") == ([(2, 9_000_000)], [])


def test_an_id_kept_as_a_number_is_read_as_its_zero_padded_format_shows_it() -> None:
    """A column of IDs formatted 000000000000 shows 001089012345 for the number 1089012345; in
    any other format the number is what is shown, and refused as having lost its zeros."""
    book = Workbook()
    rows = book.active
    assert rows is not None
    for row in [["personal_id", "case_code", "salary"], [int(AN), "TM", 9_000_000],
                [int(AN), "TM", 9_000_000]]:
        rows.append(row)
    rows["A2"].number_format = "000000000000"
    rows["A3"].number_format = "#,##0"
    (frame,) = read_frames(saved(book), "xlsx")
    typed, problems = check_frame(frame, JAN)
    assert typed["personal_id"].to_list() == [AN, AN.lstrip("0")]
    assert [(p.row, p.field) for p in problems] == [(3, "personal_id")]
    assert "leading zeros a spreadsheet dropped" in problems[0].reason


def test_a_number_past_a_double_in_a_zero_padded_cell_is_a_bad_cell_on_its_row() -> None:
    book = Workbook()
    rows = book.active
    assert rows is not None
    for row in [["personal_id", "case_code", "salary"], [AN, "TM", 7]]:
        rows.append(row)
    rows["C2"].number_format = "000000000000"
    data = sheet_replaced(saved(book), "<v>7</v>", "<v>1e400</v>")  # read as infinite
    assert [(p.row, p.field) for p in checked(data, "xlsx")[1]] == [(2, "salary")]


def saved(book: Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def sheet_replaced(data: bytes, old: str, new: str) -> bytes:
    """``data`` with ``old`` replaced in its sheet's XML, as a program other than Excel may
    write it."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            body = src.read(item)
            if item.filename == SHEET:
                assert old.encode() in body
                body = body.replace(old.encode(), new.encode())
            dst.writestr(item, body)
    return out.getvalue()
