"""A command whose standard output cannot be written (a full disk, a reader that went away, as
``sibook ... | head`` leaves it) exits 1 with a plain line on stderr, never a traceback: the
contract allows no traceback, whatever stdout is."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

COMMANDS = (
    ["ids", "inspect", "001089012345", "--json"],        # one JSON object, held then written
    ["ids", "inspect", "001089012345"],                  # a table, written as it is drawn
    ["rules", "late-interest", "--amount", "1000000", "--days-late", "61"],
)


def _sibook(argv: list[str], stdout: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sibook.cli.main", *argv], stdout=stdout,
                          stderr=subprocess.PIPE, text=True, timeout=120)


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
@pytest.mark.parametrize("argv", COMMANDS)
def test_a_full_disk_under_stdout_is_said_in_plain_words(argv: list[str]) -> None:
    with open("/dev/full", "w") as full:
        run = _sibook(argv, full.fileno())
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert run.stderr.strip() == ("error: cannot write the answer on standard output: "
                                  "No space left on device")


@pytest.mark.parametrize("argv", COMMANDS)
def test_a_reader_gone_before_the_answer_is_no_traceback(argv: list[str]) -> None:
    read, write = os.pipe()
    os.close(read)
    try:
        run = _sibook(argv, write)
    finally:
        os.close(write)
    assert run.returncode == 1
    assert run.stderr == ""  # the reader left: nothing to say to it, nor about it
