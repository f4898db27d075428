"""What an occupational claim says of itself: a work accident or a disease (Law 84/2015/QH13
Art 46), a disease's code (the appendix of Circular 15/2016/TT-BYT that lists it), its form
where the appendix sets a guarantee period per form, and the last month of exposure to the
harmful factor. No other claim says any of it; a claim saying none is received as before."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sibook import law
from sibook.core.period import Period
from sibook.law.diseases import TABLE, forms_of

if TYPE_CHECKING:
    from sibook.benefits.domain import Claim

ACCIDENT, DISEASE = "accident", "disease"
KINDS = (ACCIDENT, DISEASE)
DISEASE_CODE_MAX = 99  # the Circular's appendices: 34, one added in 2023
FORM_MAX = 40
DISEASE_FIELDS = ("disease_code", "disease_form", "exposure_ended")


def check(c: Claim, bad: Callable[[str, str], None]) -> None:
    """Every reason the claim's occupational facts cannot be received, by field."""
    kind = c.occupational_kind
    given = {f: getattr(c, f) for f in DISEASE_FIELDS if getattr(c, f) is not None}
    if c.regime != "occupational":
        for field in ("occupational_kind", *given):
            if getattr(c, field) is not None:
                bad(field, f"only an occupational claim gives {field}, not a {c.regime} claim")
        return
    if kind is not None and kind not in KINDS:
        bad("occupational_kind", f"one of {', '.join(KINDS)}; got {str(kind)[:40]!r}")
        return
    if kind != DISEASE:
        for field in given:
            bad(field, f"only an occupational disease gives {field}: set occupational_kind "
                       f"to {DISEASE}")
        return
    code = c.disease_code
    if code is None:
        bad("disease_code", "an occupational disease names its code: the appendix of Circular "
                            "15/2016/TT-BYT that lists it (1 to 34, 35 from 2023)")
    elif not 0 < code <= DISEASE_CODE_MAX:
        bad("disease_code", f"from 1 to {DISEASE_CODE_MAX}, got {code}")
    form = c.disease_form
    if form is not None and not (0 < len(form) <= FORM_MAX and form.isascii()
                                 and all(ch.isalnum() or ch == "_" for ch in form)):
        bad("disease_form", f"a form's key: 1 to {FORM_MAX} ASCII letters, digits or '_'; got "
                            f"{form[:FORM_MAX]!r}")
    ended, diagnosed = c.exposure_ended, c.event_from
    if ended is not None and diagnosed is not None and ended > Period.of(diagnosed):
        bad("exposure_ended", f"exposure ended in {ended}, after the diagnosis on "
                              f"{diagnosed.isoformat()}")


def entry(c: Claim) -> dict[str, Any]:
    """The facts as the book shows them, with the disease's name (and form's) where the law
    tables know it; None where not given (left out of the book)."""
    named = disease_names(c.disease_code, c.disease_form)
    return {"occupational_kind": c.occupational_kind, "disease_code": c.disease_code,
            "disease_form": c.disease_form,
            "exposure_ended": c.exposure_ended and str(c.exposure_ended),
            "disease_name": named[0], "disease_form_name": named[1]}


def disease_names(code: int | None, form: str | None) -> tuple[str | None, str | None]:
    """The disease's Vietnamese name and its form's, as the law table writes them (None where
    the table has no row for it)."""
    if code is None:
        return None, None
    table = law.book().table(TABLE)
    key = f"{code}:{form}" if form is not None and form in forms_of(table, code) else str(code)
    rows = [r for r in table.rows if r.key == key] or [
        r for r in table.rows if r.key.startswith(f"{code}:")]
    if not rows:
        return None, None
    row = rows[-1]
    return row.texts["name"], (row.texts["form"] or None) if row.key == key else None
