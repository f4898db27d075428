"""Registering a household: what it needs and the checks it must pass before it is stored."""

from __future__ import annotations

from dataclasses import dataclass, field

from sibook.core.errors import Problem
from sibook.registry.domain import composed_texts, province_code_problem, text_problem


@dataclass(frozen=True)
class HouseholdMemberIn:
    personal_id: str
    relation_to_head: str

    def __post_init__(self) -> None:
        composed_texts(self)


@dataclass(frozen=True)
class NewHousehold:
    code: str
    address: str
    province_code: str
    members: tuple[HouseholdMemberIn, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        composed_texts(self)


def household_problems(h: NewHousehold) -> list[Problem]:
    problems = [Problem(field=name, reason=reason) for name, value, limit in (
        ("code", h.code, 20), ("address", h.address, 200),
        *((f"members[{i}].relation_to_head", m.relation_to_head, 30)
          for i, m in enumerate(h.members, start=1)))
        if (reason := "must not be empty" if not value.strip() else text_problem(value, limit))]
    # The household's province places its members in an officer's sight: a closed code is no
    # officer's.
    if (reason := province_code_problem(h.province_code, "a household")) is not None:
        problems.append(Problem(field="province_code", reason=reason))
    return problems
