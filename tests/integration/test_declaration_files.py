"""Reading D02-LT files: every cell is read as the person filing meant it, or refused by row."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import datetime

import pytest
from openpyxl import Workbook
from sqlalchemy import Engine, text

from sibook.contributions.declare import declare
from sibook.contributions.domain import MAX_SALARY
from sibook.contributions.parsers import Source, read_frames
from sibook.contributions.validate import check_frame
from sibook.core.db import unit_of_work
from sibook.core.errors import Problem, ValidationError
from sibook.core.period import Period
from tests.integration.ledger_fixtures import EMPLOYER, WORKER_NAMES, setup_workers, worker_id

JAN = Period(2026, 1)
AN = worker_id(0)


def checked(data: Source, fmt: str = "csv") -> tuple[list[tuple[int, int | None]], list[Problem]]:
    """(row, salary) of every line read, and every problem found, as ``declare`` sees them."""
    lines: list[tuple[int, int | None]] = []
    problems: list[Problem] = []
    for frame in read_frames(data, fmt):
        typed, found = check_frame(frame, JAN)
        lines += list(zip(typed["row"].to_list(), typed["salary"].to_list(), strict=True))
        problems += found
    return lines, problems


def refusal(data: Source, fmt: str = "csv") -> list[Problem]:
    with pytest.raises(ValidationError) as err:
        checked(data, fmt)
    return err.value.problems


def xlsx_of(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for r in rows:
        sheet.append(r)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def salary_csv(*salaries: str, allowances: str | None = None) -> bytes:
    head = "personal_id,full_name,case_code,salary" + ("" if allowances is None else ",allowances")
    tail = "" if allowances is None else f',"{allowances}"'
    return "\n".join([head, *(f'{AN},{WORKER_NAMES[AN]},TM,"{s}"{tail}' for s in salaries)]
                     ).encode() + b"\n"


@pytest.mark.parametrize(
    "cell",
    [
        "15000000",
        "15.000.000",
        "15,000,000",
        "15 000 000",
        "15\u00a0000\u00a0000",  # a spreadsheet's no-break spaces
        "15\u202f000\u202f000",
        "15_000_000",
        "15000000.00",
        "15000000,0",
        "15.000.000,00",
        "15,000,000.00",
    ],
)
def test_a_salary_is_read_as_whole_vnd_in_its_usual_forms(cell: str) -> None:
    assert checked(salary_csv(cell)) == ([(2, 15_000_000)], [])


@pytest.mark.parametrize(
    "cell", ["15000000.5", "1.5", "15.000.00", "15.000,000,000", "15,000.000,000", "1,5000", "abc"]
)
def test_a_salary_that_is_not_whole_vnd_is_one_problem(cell: str) -> None:
    _, problems = checked(salary_csv(cell))
    assert [(p.row, p.field, p.reason) for p in problems] == [
        (2, "salary", "must be a whole number of VND")
    ]


def test_a_json_number_with_a_zero_fraction_is_whole_vnd() -> None:
    data = json.dumps([{"personal_id": AN, "case_code": "TM", "salary": 15000000.0}]).encode()
    assert checked(data, "json") == ([(1, 15_000_000)], [])


def test_a_json_file_may_begin_with_a_byte_order_mark() -> None:
    data = json.dumps([{"personal_id": AN, "case_code": "TM", "salary": 15_000_000}]).encode()
    assert checked(b"\xef\xbb\xbf" + data, "json") == ([(1, 15_000_000)], [])


@pytest.mark.parametrize(("data", "reason"), [
    (b'[{"personal_id": "x",}]', "not valid JSON: Expecting property name"),
    (b'[{"full_name": "Nguy\xe1n"}]', "not UTF-8 text"),
    (b" \n", "the JSON file is empty"),  # as the CSV's; not "Expecting value: line 2"
])
def test_a_json_file_that_is_not_json_says_which_of_the_two_it_is(data: bytes, reason: str
                                                                    ) -> None:
    (problem,) = refusal(data, "json")
    assert problem.field == "file" and problem.reason.startswith(reason), problem.reason


def test_allowances_follow_the_same_forms() -> None:
    frame = next(read_frames(salary_csv("10000000", allowances="2.000.000,00"), "csv"))
    typed, problems = check_frame(frame, JAN)
    assert typed["allowances"].to_list() == [2_000_000] and problems == []
    _, problems = checked(salary_csv("10000000", allowances="2000000.5"))
    assert [(p.field, p.reason) for p in problems] == [
        ("allowances", "must be a whole number of VND")
    ]


def test_a_decimal_salary_is_not_multiplied_in_the_dues(engine: Engine) -> None:
    (an,) = setup_workers(engine, 1)
    assert an == AN
    with unit_of_work(engine) as s:
        result = declare(session=s, data=salary_csv("10000000.00"), file_name="d02.csv",
                         employer_code=EMPLOYER, month=JAN)
    assert result["dues"] == {"2026-01": 3_200_000}  # 32% of 10,000,000


@pytest.mark.parametrize(
    ("salary", "allowances", "reason"),
    [
        ("1000000", str(MAX_SALARY + 1), f"above {MAX_SALARY:,} VND"),
        ("6000000000", "5000000000", f"salary plus allowances above {MAX_SALARY:,} VND"),
    ],
)
def test_allowances_are_bounded_like_the_salary(salary: str, allowances: str, reason: str) -> None:
    _, problems = checked(salary_csv(salary, allowances=allowances))
    assert [(p.row, p.field) for p in problems] == [(2, "allowances")]
    assert reason in problems[0].reason


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("personal_id,case_code,salary,muc_luong", "appears twice (as salary and muc_luong)"),
        ("personal_id,case_code,salary,salary", "the column salary appears twice"),
    ],
)
def test_a_column_given_twice_is_refused_naming_it(header: str, reason: str) -> None:
    for data, fmt in [
        (f"{header}\n{AN},TM,1,2\n".encode(), "csv"),
        (xlsx_of([header.split(","), [AN, "TM", 1, 2]]), "xlsx"),
    ]:
        (problem,) = refusal(data, fmt)
        assert (problem.row, problem.field) == (1, "salary")
        assert reason in problem.reason
    both = json.dumps([{"personal_id": AN, "case_code": "TM", "salary": 1, "muc_luong": 2}])
    (problem,) = refusal(both.encode(), "json")
    assert problem.field == "salary" and "appears twice" in problem.reason


def test_a_json_key_given_twice_in_a_line_is_refused_naming_its_row() -> None:
    first = json.dumps({"personal_id": AN, "case_code": "TM", "salary": 9_000_000})
    second = f'{{"personal_id": "{AN}", "case_code": "TM", "salary": 9000000, "salary": 1}}'
    (problem,) = refusal(f"[{first}, {second}]".encode(), "json")
    assert (problem.row, problem.field) == (2, "salary")
    assert problem.reason == "the key salary appears twice"


@pytest.mark.parametrize(
    "header",
    ["Số định danh,Phương án,Mức lương,Phụ cấp,Từ tháng",
     "Personal ID,Case-Code,SALARY,Allowances,From Month"],
)
def test_column_names_are_read_whatever_their_case_spacing_or_diacritics(header: str) -> None:
    """A retroactive month or the allowances under a name typed by hand are not dropped."""
    data = f"{header}\n{AN},TM,9000000,1000000,2025-12\n".encode()
    (frame,) = read_frames(data, "csv")
    typed, problems = check_frame(frame, JAN)
    assert problems == []
    assert typed.select("salary", "allowances", "from_month").rows() == [
        (9_000_000, 1_000_000, Period(2025, 12).index)
    ]


@pytest.mark.parametrize(("header", "field", "title"), [
    # allowances split as payroll sheets give them: filed, they were 0
    ("Số định danh,Phương án,Mức lương,Phụ cấp chức vụ", "allowances", "Phụ cấp chức vụ"),
    ("personal_id,case_code,salary,allowance", "allowances", "allowance"),
    # a retroactive month under a title not read: filed, it was the declared month
    ("personal_id,case_code,salary,Từ tháng/năm", "from_month", "Từ tháng/năm"),
    ("personal_id,case_code,Mức lương mới,Mức lương", "salary", "Mức lương mới"),
])
def test_a_column_named_like_the_pay_or_month_but_not_read_is_refused(
        header: str, field: str, title: str) -> None:
    for data, fmt in [(f"{header}\n{AN},TM,9000000,1000000\n".encode(), "csv"),
                      (xlsx_of([header.split(","), [AN, "TM", 9_000_000, 1_000_000]]), "xlsx")]:
        (problem,) = refusal(data, fmt)
        assert (problem.row, problem.field) == (1, field)
        assert problem.reason.startswith(f"the column {title} is not read, though its name looks "
                                         f"like {field}'s: the filing reads one {field} column")


@pytest.mark.parametrize("title", ["DANH SÁCH LAO ĐỘNG THAM GIA BHXH, BHYT", "sep=,"])
def test_a_csv_title_above_the_column_names_is_refused_saying_so(title: str) -> None:
    data = f'"{title}"\npersonal_id,case_code,salary\n{AN},TM,9000000\n'.encode()
    (problem,) = refusal(data)
    assert (problem.row, problem.field) == (1, "header")
    assert problem.reason.startswith("the first line must be the column names: personal_id, "
                                     "case_code, and optionally")
    assert problem.reason.endswith("; delete any title above them")


@pytest.mark.parametrize("heading", ["Họ và tên", "Họ tên", "ho_ten", "Full name"])
def test_the_name_column_is_read_under_the_headings_payroll_sheets_give_it(heading: str
                                                                           ) -> None:
    data = f"Số định danh,{heading},Phương án,Mức lương\n{AN},Nguyễn Văn An,TM,9000000\n"
    (frame,) = read_frames(data.encode(), "csv")
    assert frame["full_name"].to_list() == ["Nguyễn Văn An"]


def test_a_json_filing_giving_its_lines_twice_is_refused() -> None:
    line = json.dumps({"personal_id": AN, "case_code": "TM", "salary": 9_000_000})
    (problem,) = refusal(f'{{"lines": [{line}], "lines": []}}'.encode(), "json")
    assert (problem.field, problem.reason) == ("file", "the key lines appears twice")


def test_a_json_filing_naming_its_own_month_beside_its_lines_is_refused_not_ignored() -> None:
    """Ignored, a "month" of 2026-10 in a list filed with --month 2026-11 passed unsaid."""
    line = json.dumps({"personal_id": AN, "case_code": "TM", "salary": 9_000_000})
    (problem,) = refusal(f'{{"month": "2026-10", "lines": [{line}]}}'.encode(), "json")
    assert problem.field == "file"
    assert problem.reason.startswith("'month' beside \"lines\" is not read: the employer, month")


def test_xlsx_cells_under_untitled_columns_and_past_the_header_are_ignored() -> None:
    data = xlsx_of(
        [
            ["personal_id", None, "case_code", "salary", None],
            [AN, "a note", "TM", 8_000_000, "more", "and past the header"],
            [AN, None, "TM", 9_000_000],
        ]
    )
    assert checked(data, "xlsx") == ([(2, 8_000_000), (3, 9_000_000)], [])


def test_xlsx_header_is_the_first_non_empty_row() -> None:
    data = xlsx_of([[], ["personal_id", "case_code", "salary"], [AN, "TM", 8_000_000]])
    assert checked(data, "xlsx") == ([(3, 8_000_000)], [])


def test_an_xlsx_title_row_is_refused_as_the_header() -> None:
    data = xlsx_of(
        [["DANH SÁCH D02-LT"], ["personal_id", "case_code", "salary"], [AN, "TM", 8_000_000]]
    )
    (problem,) = refusal(data, "xlsx")
    assert (problem.row, problem.field) == (1, "header")
    assert "personal_id" in problem.reason and "case_code" in problem.reason


def test_xlsx_rows_keep_their_sheet_numbers_across_blank_rows() -> None:
    data = xlsx_of(
        [
            ["personal_id", "case_code", "salary"],
            [AN, "TM", 8_000_000],
            [],
            [None, None, "  "],
            [AN, "TM", "8.5"],
        ]
    )
    lines, problems = checked(data, "xlsx")
    assert [row for row, _ in lines] == [2, 5]
    assert [(p.row, p.field) for p in problems] == [(5, "salary")]


def test_blank_csv_lines_are_skipped_keeping_line_numbers() -> None:
    data = f"personal_id,case_code,salary\n{AN},TM,1\n,,\n\n{AN},TM,x\n, ,\n\n".encode()
    lines, problems = checked(data)
    assert [row for row, _ in lines] == [2, 5]
    assert [(p.row, p.field) for p in problems] == [(5, "salary")]


def test_a_csv_beginning_with_a_blank_line_is_refused_for_it_not_as_empty() -> None:
    (problem,) = refusal(f"\r\npersonal_id,case_code,salary\r\n{AN},TM,1\r\n".encode())
    assert (problem.row, problem.field) == (1, "header")
    assert problem.reason == "is a blank line; the first line must be the column names"


def test_a_csv_of_only_blank_lines_has_no_lines() -> None:
    (problem,) = refusal(b"personal_id,case_code,salary\n,,\n\n")
    assert problem.field == "file" and "no lines" in problem.reason


def test_a_ragged_csv_row_is_named_by_its_number() -> None:
    data = f"personal_id,case_code,salary\n{AN},TM,1\n{AN},TM,2,3\n{AN},TM,4\n".encode()
    (problem,) = refusal(data)
    assert problem.row == 3
    assert problem.reason == "has 4 fields, the header has 3"
    assert "truncate_ragged_lines" not in str(problem)


def test_a_csv_row_cut_short_of_a_column_the_filing_reads_is_refused_by_its_number() -> None:
    """A decrease cut before its from_month would otherwise be filed from the declared month."""
    data = (f"personal_id,case_code,salary,from_month\n{AN},GH,,2025-11\n{AN},GH,\n"
            f"{AN},GH\n").encode()
    problems = refusal(data)
    assert [(p.row, p.field, p.reason) for p in problems] == [
        (3, "from_month", "has no cell: the row has 3 fields, the header has 4"),
        (4, "salary", "has no cell: the row has 2 fields, the header has 4"),
    ]


def test_a_csv_row_may_end_before_columns_the_filing_does_not_read() -> None:
    data = f"personal_id,case_code,salary,,note\n{AN},TM,9000000\n{AN},TM,8000000,,\n".encode()
    assert checked(data) == ([(2, 9_000_000), (3, 8_000_000)], [])


def test_a_missing_salary_on_an_increase_is_one_problem() -> None:
    _, problems = checked(f"personal_id,case_code,salary\n{AN},TM,\n".encode())
    assert [(p.row, p.field) for p in problems] == [(2, "salary")]
    assert problems[0].reason.startswith("required for increases")


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_an_xlsx_is_read_whole_before_the_filing_takes_its_locks(
        engine: Engine, monkeypatch: pytest.MonkeyPatch, fmt: str) -> None:
    """openpyxl is slow (~120 us a row): an XLSX is read into Arrow files first, so the
    employer's lock (on SQLite every writer's) is not held meanwhile. CSV is read by Polars
    as the filing goes."""
    from sibook.contributions import declare as module

    workers = setup_workers(engine, 3)
    rows = [["personal_id", "full_name", "case_code", "salary"],
            *[[w, WORKER_NAMES[w], "TM", 9_000_000] for w in workers]]
    data = xlsx_of(rows) if fmt == "xlsx" else "\n".join(",".join(map(str, r))
                                                           for r in rows).encode()
    events: list[str] = []
    real_read, real_lookup = module.read_frames, module.registry.employer_by_code

    def read(*args: object, **kwargs: object) -> object:
        for frame in real_read(*args, **kwargs):  # type: ignore[arg-type]
            events.append("frame")
            yield frame

    def lookup(**kwargs: object) -> object:
        events.append("lock")
        return real_lookup(**kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(module, "read_frames", read)
    monkeypatch.setattr(module.registry, "employer_by_code", lookup)
    with unit_of_work(engine) as s:
        result = declare(session=s, data=data, file_name=f"d02.{fmt}", employer_code=EMPLOYER,
                         month=JAN)
    assert result["lines"] == 3
    assert events == (["frame", "lock"] if fmt == "xlsx" else ["lock", "frame"])


def test_an_xlsx_salary_computed_by_excel_is_the_amount_it_shows() -> None:
    """Excel writes 15000000 * 1.1 as 16500000.000000002 (shown 16,500,000); a fraction
    typed in stays one."""
    data = xlsx_of([["personal_id", "case_code", "salary"], [AN, "TM", 1.5], [AN, "TM", 2.5]])
    with zipfile.ZipFile(io.BytesIO(data)) as xlsx:
        parts = {name: xlsx.read(name) for name in xlsx.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    parts[sheet] = parts[sheet].replace(b"<v>1.5</v>", b"<v>16500000.000000002</v>").replace(
        b"<v>2.5</v>", b"<v>16500000.5</v>")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as xlsx:
        for name, part in parts.items():
            xlsx.writestr(name, part)
    lines, problems = checked(out.getvalue(), "xlsx")
    assert lines == [(2, 16_500_000), (3, None)]
    assert [(p.row, p.field, p.reason) for p in problems] == [
        (3, "salary", "must be a whole number of VND")
    ]


def test_an_xlsx_month_excel_stored_as_a_date_is_that_month() -> None:
    """Typing 2025-12 into Excel stores the date 2025-12-01; another day stays a day."""
    data = xlsx_of([["personal_id", "case_code", "salary", "from_month"],
                    [AN, "TM", 9_000_000, datetime(2025, 12, 1)],
                    [AN, "TM", 9_000_000, datetime(2025, 12, 15)]])
    frame = next(iter(read_frames(data, "xlsx")))
    assert frame["from_month"].to_list() == ["2025-12", "2025-12-15"]
    _, problems = checked(data, "xlsx")
    assert [(p.row, p.field) for p in problems] == [(3, "from_month")]


@pytest.mark.parametrize(
    ("data", "fmt"),
    [
        # payroll exports that quote every field write an empty cell as ""
        (f'"personal_id","case_code","job_title","salary","from_month"\n'
         f'"{AN}","DC","","9000000",""\n'.encode(), "csv"),
        (f"personal_id,case_code,job_title,salary,from_month\n{AN},DC, ,9000000,  \n".encode(),
         "csv"),
        (json.dumps([{"personal_id": AN, "case_code": "DC", "job_title": "",
                      "salary": 9_000_000, "from_month": ""}]).encode(), "json"),
    ],
)
def test_a_cell_quoted_empty_or_of_spaces_is_blank(data: bytes, fmt: str) -> None:
    """A blank from_month is the declared month, and a blank job title keeps the one on
    record, however the blank is written."""
    (frame,) = read_frames(data, fmt)
    typed, problems = check_frame(frame, JAN)
    assert problems == []
    assert typed.select("job_title", "from_month").rows() == [(None, JAN.index)]


@pytest.mark.parametrize(("cell", "hint"), [
    ("0" + AN.lstrip("0"), True),  # 11 digits: a number that lost its leading zero
    (AN.lstrip("0"), True),  # 10: that, or a legacy SI code
    (AN[:-1], True),
    ("1.08901E+09", True),  # as Excel saves a long number in CSV: its last digits lost
    ("1,08901E+09", True),
    ("12345", False),
    ("0010890123456", False),
    ("00108901234x", False),
])
def test_an_id_that_lost_its_leading_zeros_is_refused_saying_so(cell: str, hint: bool) -> None:
    data = f'personal_id,case_code,salary\n"{cell}",TM,15000000\n'.encode()
    (problem,) = checked(data)[1]
    assert (problem.row, problem.field) == (2, "personal_id")
    assert problem.reason.startswith("must be the 12-digit personal ID number")
    assert ("format the column as text" in problem.reason) is hint


def with_si_codes(engine: Engine) -> tuple[str, str]:
    """Two workers whose books carry their legacy SI codes 0123456780 and 0123456781."""
    an, binh = setup_workers(engine, 2)
    with engine.begin() as conn:
        for n, pid in enumerate((an, binh)):
            conn.execute(text("UPDATE persons SET legacy_si_code = :c WHERE personal_id = :p"),
                         {"c": f"012345678{n}", "p": pid})
    return an, binh


def transition_file(*rows: tuple[str, str]) -> bytes:
    """A D02-LT of the transition: the SI code and the personal ID, in the payroll software's
    Vietnamese columns, the SI code first."""
    lines = [f"{code},{pid},{WORKER_NAMES[pid]},TM,10000000" for code, pid in rows]
    return "\n".join(["Mã số BHXH,Số định danh,Họ tên,Phương án,Mức lương", *lines]
                     ).encode() + b"\n"


def file_d02(engine: Engine, data: bytes, fmt: str = "csv", month: Period = JAN
             ) -> dict[str, object]:
    with unit_of_work(engine) as s:
        return declare(session=s, data=data, file_name=f"d02.{fmt}", employer_code=EMPLOYER,
                       month=month)


def test_a_row_giving_the_si_code_and_the_personal_id_of_one_person_is_filed(
        engine: Engine) -> None:
    an, binh = with_si_codes(engine)
    result = file_d02(engine, transition_file(("0123456780", an), (binh, binh)))
    assert (result["lines"], result["periods_opened"]) == (2, 2)
    both = [{"so_dinh_danh": an, "ma_so_bhxh": "0123456780", "ho_ten": WORKER_NAMES[an],
             "phuong_an": "DC", "muc_luong": "11000000"}]
    assert file_d02(engine, json.dumps(both).encode(), "json", JAN + 1)["periods_opened"] == 1
    header = ["so_dinh_danh", "ma_so_bhxh", "ho_ten", "phuong_an", "muc_luong"]
    sheet = xlsx_of([header, [binh, "0123456781", WORKER_NAMES[binh], "DC", 12_000_000]])
    assert file_d02(engine, sheet, "xlsx", JAN + 2)["periods_opened"] == 1


def test_a_row_whose_si_code_is_another_persons_or_no_ones_is_refused_alike(
        engine: Engine) -> None:
    """Whose SI code it is, if anyone's, is not told: a worker new to the employer is refused
    as anyone it cannot take on, its own worker's row names the SI code."""
    an, binh = with_si_codes(engine)
    with pytest.raises(ValidationError) as err:
        file_d02(engine, transition_file(("0123456781", an), ("0999999999", binh)))
    assert [(p.row, p.field, p.reason.replace(pid, "ID"))
            for p, pid in zip(err.value.problems, (an, binh), strict=True)] == [
        (row, "personal_id", "no registered person with personal ID ID and this full_name "
                             "(and si_code, if given) can be taken on from 2026-01: the "
                             "ID and name must be one registered person's, as on their ID "
                             "card, whose SI periods leave that month free (none open "
                             "with another employer, none recorded in or after it) and "
                             "whose pension, if any, does not pay it (their e-SI book shows "
                             "them); a person not yet registered is registered first "
                             "(TK1-TS)") for row in (2, 3)]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM si_periods")).scalar() == 0
    file_d02(engine, transition_file(("0123456780", an), ("0123456781", binh)))
    with pytest.raises(ValidationError) as own:
        file_d02(engine, transition_file(("0123456781", an), ("0999999999", binh)).replace(
            b",TM,", b",DC,"), month=JAN + 1)
    assert [(p.row, p.field, p.reason) for p in own.value.problems] == [
        (2, "si_code", f"SI code 0123456781 is not the one registered for personal_id {an}; "
                       "both must be the worker's"),
        (3, "si_code", f"SI code 0999999999 is not the one registered for personal_id {binh}; "
                       "both must be the worker's")]


def only_si_codes(*codes: str) -> bytes:
    """A D02 of the old kind: the legacy SI code's column alone (read as the personal ID)."""
    return "\n".join(["ma_so_bhxh,phuong_an,muc_luong",
                      *(f"{code},TM,10000000" for code in codes)]).encode() + b"\n"


def test_ten_digits_alone_get_one_reason_whatever_the_registry_holds(engine: Engine) -> None:
    """A registered person's SI code, no one's, a registered ID that lost its two leading
    zeros (province 001), and ten digits that are none of these: the unit is told both
    readings for each row alike, so its file cannot probe who is registered."""
    an, _ = with_si_codes(engine)
    lost = an.removeprefix("00")
    unregistered = worker_id(9).removeprefix("00")
    with pytest.raises(ValidationError) as err:
        file_d02(engine, only_si_codes("0123456780", "0999999999", lost, unregistered))
    said = {p.row: p.reason for p in err.value.problems if p.field == "personal_id"}
    assert sorted(said) == [2, 3, 4, 5]
    assert len(set(said.values())) == 1
    assert "legacy SI code (mã số BHXH)" in said[2] and "two leading zeros" in said[2]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM si_periods")).scalar() == 0


def test_an_si_code_that_is_not_ten_digits_is_refused_by_its_row() -> None:
    _, problems = checked(transition_file(("123456780", AN), (worker_id(1), AN)))
    assert [(p.row, p.field) for p in problems] == [(2, "si_code"), (3, "si_code")]
    assert "10-digit SI code" in problems[0].reason
