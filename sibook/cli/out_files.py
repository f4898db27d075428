"""Where a command writes the files it makes (a signed PDF, a QR text, a card image, a trust
list): each to the file its flag names, or one to standard output for "-", as common CLIs do
(openssl, curl -o -), to be piped on. A file named "-" is ./-; what is typed is kept as typed,
a str, since a Path makes ./- into -."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from rich.console import Console

from sibook.cli.flags import NO_FILE_NAME, file_flag
from sibook.cli.output import console, err_console, refuse, usage_error
from sibook.core.errors import Problem

STDOUT = "-"
STDOUT_HELP = ' "-" prints it on standard output (a file named - is ./-).'

Out = str | Path  # a flag's value as typed (STDOUT is standard output), or a file's path


def on_stdout(out: Out | None) -> bool:
    return isinstance(out, str) and out == STDOUT


def output_flag(flag: str) -> Callable[[str], str]:
    """The parser of a flag naming where an output goes: "-" (standard output), or a file as
    ``file_flag`` reads it (a value that begins with "-" is the next flag, refused)."""
    as_file = file_flag(flag)

    def parse(value: str) -> str:
        text = str(value)
        if text != STDOUT:
            as_file(text)
        return text
    return parse


def printed_alone(outputs: dict[str, Out | None], as_json: bool) -> None:
    """The (flag: value) outputs of one command, at most one of them on standard output and
    none with --json (the file and the answer would share it, and neither could be read): a
    usage error (exit 2) before anything is read or written. An empty name names no file
    (a path would read it as ".", the folder the command runs in): given none, exit 2 too."""
    for flag, out in outputs.items():
        if out is not None and not str(out):
            usage_error(flag, NO_FILE_NAME)
    printed = [flag for flag, out in outputs.items() if on_stdout(out)]
    if printed and as_json:
        usage_error(printed[0], "is - (standard output), where --json prints its answer: "
                    "name a file, or leave out --json")
    if len(printed) > 1:
        usage_error(printed[1], f"is - (standard output), as {printed[0]} is: only one "
                    "output can be printed there; name a file for the other")


def separate_outputs(first_flag: str, first: Out, second_flag: str, second: Out | None
                     ) -> None:
    """Two output flags naming one file (however spelled: ``a.pdf``, ``./a.pdf``, a link to
    it): the second would be written over the first, which the answer would still name. Flags
    that do not go together: a usage error (exit 2) before anything is read or written."""
    if second is None or on_stdout(first) or on_stdout(second):
        return  # two on standard output: printed_alone's
    one, other = Path(first), Path(second)
    same = one.resolve() == other.resolve()
    with contextlib.suppress(OSError):  # hard links: only files that exist can be compared
        same = same or one.samefile(other)
    if same:
        usage_error(second_flag, f"names the file {first_flag} names ({other}): give each "
                    "output its own file")


def write_out(out: Out, data: bytes, as_json: bool, flag: str) -> None:
    """Write an output file (or standard output), or refuse (exit 1) saying why it cannot be
    written: a folder that does not exist, a directory, a full disk; never a traceback."""
    write_outputs([(flag, out, data)], as_json)


def write_outputs(outputs: Sequence[tuple[str, Out, bytes]], as_json: bool) -> None:
    """Write the (flag, out, bytes) outputs of one command, all or none: when one cannot be
    written, those written before it are removed and the command refuses (exit 1) naming the
    flag. Called inside the transaction that records what they sign, so a refusal leaves
    neither a signed file of a version never recorded nor a version no file shows. Standard
    output is written last, once every file is: what is printed cannot be taken back."""
    written: list[Path] = []
    for flag, out, data in sorted(outputs, key=lambda output: on_stdout(output[1])):
        try:
            if on_stdout(out):
                _print_bytes(data)
            else:
                Path(out).write_bytes(data)
        except OSError as exc:  # on stdout: a closed pipe, a full disk behind a redirection
            for done in written:
                done.unlink(missing_ok=True)
            refuse([Problem(field=flag, reason=f"cannot write {where(out)}: "
                            f"{exc.strerror or exc}")], as_json)
        if not on_stdout(out):
            written.append(Path(out))


def _print_bytes(data: bytes) -> None:
    """The file's bytes on standard output, as written to a file (a PDF's or PNG's binary)."""
    sys.stdout.flush()
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


def said_on(*outputs: Out | None) -> Console:
    """Where the readable answer goes: stderr when standard output carries a file."""
    return err_console if any(on_stdout(out) for out in outputs) else console


def where(out: Out) -> str:
    """An output as the answer names it: a file's path as before ("./a.pdf" is "a.pdf")."""
    return "standard output" if on_stdout(out) else str(Path(out))
