"""Every ``sibook`` command starts by importing the CLI: the signing and PDF libraries (~0.8 s)
load only in the commands that sign or render."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("fpdf", "pyhanko", "segno", "PIL")


def test_starting_the_cli_does_not_load_the_signing_and_pdf_libraries() -> None:
    probe = ("import sys, sibook.cli.main; "
             f"print([m for m in {HEAVY!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True, timeout=120).stdout
    assert out.strip() == "[]"
