"""The policy table: which kind of principal may do which action, before any data is touched."""

from __future__ import annotations

import pytest

from sibook.access import ratelimit
from sibook.access.policy import RULES, Action, permits
from sibook.access.principals import Anonymous, Citizen, EmployerUnit, Hospital, Officer

CITIZEN = Citizen(personal_id="001089012345", level=2)
CLERK = Officer(client_id="hn-clerk", realm="civil", province_code="01",
                roles=frozenset({"clerk"}))
AUDITOR = Officer(client_id="auditor", realm="civil", province_code=None,
                  roles=frozenset({"auditor"}))
EMPLOYER = EmployerUnit(client_id="acme", unit_code="0100000155")
HOSPITAL = Hospital(client_id="bach-mai")


def test_every_action_has_a_rule() -> None:
    assert set(RULES) == set(Action)


def test_a_level_1_citizen_may_not_read_even_their_own_record() -> None:
    reason = permits(Citizen(personal_id="001089012345", level=1), Action.ME_READ)
    assert reason is not None and "level-2" in reason


def test_a_level_2_citizen_reads_their_own_record_and_log() -> None:
    assert permits(CITIZEN, Action.ME_READ) is None
    assert permits(CITIZEN, Action.ME_ACCESS_LOG) is None


def test_a_citizen_may_not_search_the_registry() -> None:
    assert permits(CITIZEN, Action.PERSON_LIST) is not None


def test_a_hospital_may_only_check_hi_validity_and_file_and_annul_its_claims() -> None:
    allowed = {a for a in Action if permits(HOSPITAL, a) is None}
    assert allowed == {Action.PUBLIC, Action.HI_CHECK, Action.VISIT_FILE, Action.VISIT_ANNUL}


def test_a_visit_is_annulled_by_its_hospital_or_a_clerk_or_approver_never_an_auditor() -> None:
    assert [p for p in (CITIZEN, AUDITOR) if permits(p, Action.VISIT_ANNUL) is None] == []
    assert permits(CLERK, Action.VISIT_ANNUL) is None


def test_visits_are_read_by_the_citizen_and_officers_and_filed_by_hospitals_only() -> None:
    assert permits(HOSPITAL, Action.VISIT_READ) is not None
    assert permits(CITIZEN, Action.VISIT_READ) is None and permits(AUDITOR, Action.VISIT_READ) \
        is None
    assert [p for p in (CITIZEN, CLERK, AUDITOR) if permits(p, Action.VISIT_FILE) is None] == []


def test_registering_needs_a_clerk_and_issuing_a_book_an_approver() -> None:
    assert permits(CLERK, Action.PERSON_REGISTER) is None
    assert permits(AUDITOR, Action.PERSON_REGISTER) is not None
    assert permits(CLERK, Action.BOOK_ISSUE) is not None


def test_only_auditors_read_the_access_log_as_a_whole() -> None:
    assert permits(AUDITOR, Action.AUDIT_READ) is None
    assert permits(CLERK, Action.AUDIT_READ) is not None


def test_employers_declare_contributions_but_do_not_register_persons() -> None:
    assert permits(EMPLOYER, Action.CONTRIBUTION_DECLARE) is None
    assert permits(EMPLOYER, Action.PERSON_REGISTER) is not None


@pytest.mark.parametrize("action", [a for a in Action if a is not Action.PUBLIC])
def test_anonymous_callers_get_nothing_but_public_routes(action: Action) -> None:
    assert permits(Anonymous(), action) is not None


def test_the_rate_limit_refuses_the_request_over_budget_and_forgets_after_a_minute() -> None:
    ratelimit.reset()
    assert all(ratelimit.hit("t:1.2.3.4", 3, now=100.0) is None for _ in range(3))
    assert ratelimit.hit("t:1.2.3.4", 3, now=101.0) == 60
    assert ratelimit.hit("t:5.6.7.8", 3, now=101.0) is None
    assert ratelimit.hit("t:1.2.3.4", 3, now=161.0) is None
