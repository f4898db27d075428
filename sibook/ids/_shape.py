"""Plain-language reasons for a value of the wrong shape, shared by every identifier."""

from __future__ import annotations


def is_ascii_digits(value: str) -> bool:
    """Digits 0-9 only: ``str.isdigit`` would also accept full-width and other scripts' digits."""
    return value.isascii() and value.isdigit()


def digits_problem(value: str, length: int, what: str) -> str | None:
    """Why ``value`` is not ``length`` ASCII digits, or None when it is."""
    if not value:
        return f"{what} is empty"
    if any(ch.isspace() for ch in value):
        return f"{what} contains spaces; write it without spaces"
    if not value.isascii() and any(ch.isdigit() for ch in value):
        return f"{what} contains digits outside 0-9 (for example full-width digits); use 0-9"
    if not is_ascii_digits(value):
        return f"{what} must contain only the digits 0-9"
    if len(value) != length:
        return f"{what} must have {length} digits, not {len(value)}"
    return None
