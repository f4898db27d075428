"""Registering a household: what it needs and the checks it must pass before it is stored."""

from __future__ import annotations

from dataclasses import dataclass, field

from sibook.core.errors import Problem
from sibook.ids import historical_province, is_valid_province_code, province_2025
from sibook.registry.domain import text_problem


@dataclass(frozen=True)
class HouseholdMemberIn:
    personal_id: str
    relation_to_head: str


@dataclass(frozen=True)
class NewHousehold:
    code: str
    address: str
    province_code: str
    members: tuple[HouseholdMemberIn, ...] = field(default_factory=tuple)


def household_problems(h: NewHousehold) -> list[Problem]:
    problems = [Problem(field=name, reason=reason) for name, value, limit in (
        ("code", h.code, 20), ("address", h.address, 200),
        *((f"members[{i}].relation_to_head", m.relation_to_head, 30)
          for i, m in enumerate(h.members, start=1)))
        if (reason := "must not be empty" if not value.strip() else text_problem(value, limit))]
    if not is_valid_province_code(h.province_code):
        problems.append(Problem(field="province_code",
                                reason=f"unknown province code {h.province_code!r}"))
    elif province_2025(h.province_code) is None:  # a code closed by the 2025 merger
        # The household's province places its members in an officer's sight: a closed code
        # is no officer's, and the address lies in the province it merged into today.
        old = historical_province(h.province_code)
        assert old is not None
        problems.append(Problem(field="province_code", reason=(
            f"province {old.code} ({old.name}) was merged into {old.merged_into.code} "
            f"({old.merged_into.name}) on 2025-07-01 (Decision 19/2025/QD-TTg): a household "
            f"is registered under a current code")))
    return problems
