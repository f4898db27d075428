"""The console's tables: a value wider than its column is folded, never cut short."""

from __future__ import annotations

import io

from rich.console import Console

from sibook.cli.output import show_table


def test_a_table_wider_than_the_console_folds_its_values_never_cuts_them() -> None:
    out = io.StringIO()
    # As `sibook visits list` prints a visit into a pipe, 80 columns wide.
    show_table("HI visits of 001089012345",
               ("admitted", "discharged", "facility", "MA_LK", "visit", "diagnosis",
                "total cost", "HI paid", "patient paid", "annulled"),
               [("2026-11-12 08:30", "2026-11-12 10:15", "01001", "BM2611000123", "Khám bệnh",
                 "J03", 237_300, 189_840, 47_460, None)],
               on=Console(file=out, width=80))
    text = out.getvalue()
    assert "…" not in text
    cells = ["".join(line.split("│")[column].strip() for line in text.splitlines()
                     if line.startswith("│")) for column in (7, 8, 9)]
    assert cells == ["237,300", "189,840", "47,460"]
