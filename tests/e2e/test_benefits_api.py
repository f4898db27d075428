"""Benefits over HTTP: a clerk receives a claim, an approver (never the clerk) decides it, the
citizen reads their own and sees it in their book; employers see none; defence persons stay
absent for civil officers; every answer is one the OpenAPI declares."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from sibook.access import audit
from sibook.access.principals import Citizen, EmployerUnit, Officer, Principal
from sibook.access.settings import get_access_settings
from sibook.access.store import AccessLogEntry
from sibook.core.db import unit_of_work
from sibook.registry import reading as registry
from tests.e2e.test_access_matrix import HIDDEN, OTHER, OWN, UNIT_A, bearer, populated_app
from tests.e2e.test_openapi_conformance import assert_conforms

PATH = "/api/v1/persons/{personal_id}/benefits"
DECISION = PATH + "/{dossier_no}/decision"
CLERK = Officer("hn-clerk", "civil", "01", frozenset({"clerk"}))
APPROVER = Officer("hn-approver", "civil", "01", frozenset({"approver"}))
DEFENCE_APPROVER = Officer("mod-approver", "defence", None, frozenset({"approver"}))
SELF = Citizen(OWN, 2)
SICK = {"regime": "sickness", "dossier_no": "HS-0001", "received_on": "2021-03-20",
        "event_from": "2021-03-01", "event_to": "2021-03-05", "note": "cúm A"}
PAID = {"outcome": "settled", "decided_on": "2021-03-27", "decision_no": "12/QĐ-BHXH",
        "amount": 1_730_000, "days": 5}


@dataclass
class Api:
    client: TestClient
    engine: Engine
    spec: dict[str, Any]

    def claim(self, who: Principal, pid: str, body: dict[str, Any] = SICK) -> httpx2.Response:
        r = self.client.post(PATH.format(personal_id=pid), headers=bearer(who), json=body)
        assert_conforms(self.spec, "POST", PATH, r)
        return r

    def decide(self, who: Principal, pid: str, dossier: str = "HS-0001",
               body: dict[str, Any] = PAID) -> httpx2.Response:
        r = self.client.post(DECISION.format(personal_id=pid, dossier_no=dossier),
                             headers=bearer(who), json=body)
        assert_conforms(self.spec, "POST", DECISION, r)
        return r

    def list(self, who: Principal, pid: str) -> httpx2.Response:
        r = self.client.get(PATH.format(personal_id=pid), headers=bearer(who))
        assert_conforms(self.spec, "GET", PATH, r)
        return r


@pytest.fixture
def api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    monkeypatch.setenv("SIBOOK_KEYS_DIR", str(tmp_path / "keys"))
    monkeypatch.setenv("SIBOOK_KEY_PASSPHRASE", "test passphrase")
    app, engine, _ = populated_app(tmp_path / "benefits.db")
    yield Api(TestClient(app, raise_server_exceptions=False), engine, app.openapi())
    engine.dispose()
    get_access_settings.cache_clear()


def test_received_decided_and_read_by_the_citizen_in_their_book(api: Api) -> None:
    received = api.claim(CLERK, OWN)
    assert received.status_code == 201, received.text
    assert (received.json()["status"], received.json()["regime_name"]) == ("claimed", "Ốm đau")
    decided = api.decide(APPROVER, OWN)
    assert decided.status_code == 201, decided.text
    assert decided.json()["decision"]["amount"] == 1_730_000
    mine = api.list(SELF, OWN).json()["benefits"]
    assert [(b["dossier_no"], b["status"]) for b in mine] == [("HS-0001", "settled")]
    book = api.client.get(f"/api/v1/books/{OWN}", headers=bearer(SELF))
    assert book.status_code == 200, book.text
    assert book.json()["book"]["benefits"][0]["decision_no"] == "12/QĐ-BHXH"


def test_the_clerk_who_receives_cannot_decide_and_the_citizen_can_do_neither(api: Api) -> None:
    assert api.claim(SELF, OWN).status_code == 403
    api.claim(CLERK, OWN)
    assert api.decide(CLERK, OWN).status_code == 403
    assert api.decide(SELF, OWN).status_code == 403
    assert api.list(SELF, OWN).json()["benefits"][0]["status"] == "claimed"


def test_employers_see_no_benefit_and_others_see_nothing(api: Api) -> None:
    api.claim(CLERK, OWN)
    assert api.list(EmployerUnit("acme", UNIT_A), OWN).status_code == 403
    assert api.list(Citizen(OTHER, 2), OWN).status_code == 404
    assert api.claim(CLERK, OTHER).status_code == 404  # another province's person
    assert api.claim(CLERK, HIDDEN).status_code == 404  # the defence realm's
    assert api.list(DEFENCE_APPROVER, HIDDEN).json()["benefits"] == []


def test_a_retry_answers_the_first_record_and_changed_content_is_a_409(api: Api) -> None:
    first = api.claim(CLERK, OWN)
    again = api.claim(CLERK, OWN)
    assert (again.status_code, again.json()["replayed"]) == (201, True)
    assert again.json()["recorded_at"] == first.json()["recorded_at"]
    changed = api.claim(CLERK, OWN, {**SICK, "event_to": "2021-03-06"})
    assert changed.status_code == 409
    assert changed.json()["errors"][0]["field"] == "event_to"
    api.decide(APPROVER, OWN)
    assert api.decide(APPROVER, OWN).json()["replayed"] is True
    assert api.decide(APPROVER, OWN, body={**PAID, "amount": 1}).status_code == 409
    assert len(api.list(SELF, OWN).json()["benefits"]) == 1


def test_bad_input_is_refused_naming_the_field(api: Api) -> None:
    typo = api.claim(CLERK, OWN, {**SICK, "evnt_to": "2021-03-05"})
    assert typo.status_code == 422 and "evnt_to" in typo.text
    rules = api.claim(CLERK, OWN, {**SICK, "event_to": "2021-02-01"})
    assert rules.status_code == 422
    assert rules.json()["errors"] == [{"field": "event_to", "reason":
                                       "2021-02-01 is before event_from 2021-03-01"}]
    api.claim(CLERK, OWN)
    silent = api.decide(APPROVER, OWN, body={"outcome": "refused", "decided_on": "2021-04-01",
                                             "decision_no": "13/QĐ"})
    assert silent.status_code == 422 and silent.json()["errors"][0]["field"] == "reason"
    missing = api.decide(APPROVER, OWN, "HS-9999")
    assert missing.status_code == 404


def test_every_refused_and_allowed_touch_is_logged(api: Api) -> None:
    api.claim(CLERK, OWN)
    api.claim(CLERK, OWN, {**SICK, "event_to": "2021-03-06"})  # refused: 409
    with unit_of_work(api.engine) as s:
        rows = s.execute(select(AccessLogEntry.actor_id, AccessLogEntry.action,
                                AccessLogEntry.outcome)
                         .where(AccessLogEntry.action == "benefit.claim")).all()
    assert [tuple(r) for r in rows] == [("hn-clerk", "benefit.claim", "allowed"),
                                        ("hn-clerk", "benefit.claim", "refused")]


def test_the_citizen_sees_which_dossier_was_received_and_decided(api: Api) -> None:
    """Their log read "benefit.claim" alone: now the regime and dossier, and the decision's
    number and outcome; never its amounts or the claim's note (pay and health)."""
    assert api.claim(CLERK, OWN).status_code == 201
    assert api.claim(CLERK, OWN).json()["replayed"] is True  # read again: logged again
    assert api.decide(APPROVER, OWN, body={**PAID, "outcome": "refused", "amount": None,
                                           "days": None, "reason": "không đủ"}).status_code == 201
    answer = api.client.get("/api/v1/me/access-log", headers=bearer(SELF))
    assert_conforms(api.spec, "GET", "/api/v1/me/access-log", answer)
    assert [(e["action"], e["detail"]) for e in answer.json()["entries"][1:]] == [
        ("benefit.decide", "regime sickness; dossier HS-0001; decision 12/QĐ-BHXH; "
                           "outcome refused"),
        ("benefit.claim", "regime sickness; dossier HS-0001"),
        ("benefit.claim", "regime sickness; dossier HS-0001")]  # [0]: this read


def test_an_officer_with_both_roles_does_not_decide_what_they_received(api: Api) -> None:
    both = Officer("hn-both", "civil", "01", frozenset({"clerk", "approver"}))
    api.claim(both, OWN)
    refused = api.decide(both, OWN)
    assert refused.status_code == 403 and "another officer" in refused.json()["detail"]
    assert api.decide(APPROVER, OWN).status_code == 201


def test_a_control_character_in_a_note_is_refused_by_field(api: Api) -> None:
    r = api.claim(CLERK, OWN, {**SICK, "note": "a\u0000b"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "note"


def test_a_dossier_of_another_realms_person_is_a_plain_409_in_the_holders_log(api: Api) -> None:
    defence_clerk = Officer("mod-clerk", "defence", None, frozenset({"clerk"}))
    assert api.claim(defence_clerk, HIDDEN).status_code == 201
    clash = api.claim(CLERK, OWN)  # the same dossier number, for a civil person
    assert clash.status_code == 409
    assert clash.json()["errors"] == [{"field": "dossier_no", "reason":
                                       "dossier HS-0001 is recorded for another person"}]
    with unit_of_work(api.engine) as s:
        outcomes = [[e.outcome for e in audit.entries_for_person(
                         session=s, person_id=registry.person_id_of(session=s, personal_id=pid,
                                                                    realm=realm))
                     if e.actor_id == "hn-clerk"]
                    for pid, realm in ((OWN, "civil"), (HIDDEN, "defence"))]
    assert all("refused" in logged for logged in outcomes)  # both persons


def test_a_defence_person_reads_their_benefits_from_their_ministry_not_over_the_api(
        api: Api) -> None:
    # A benefit's amount tells the pay (75% of it a day of sick leave): their book leaves the
    # benefits out, and their ledger is a 403 for them; the benefits were answered in full.
    defence_clerk = Officer("mod-clerk", "defence", None, frozenset({"clerk"}))
    assert api.claim(defence_clerk, HIDDEN).status_code == 201
    assert api.decide(DEFENCE_APPROVER, HIDDEN).status_code == 201
    themself = api.list(Citizen(HIDDEN, 2), HIDDEN)
    assert themself.status_code == 403 and "ministry" in themself.json()["detail"]
    assert api.list(DEFENCE_APPROVER, HIDDEN).json()["benefits"][0]["status"] == "settled"
    with unit_of_work(api.engine) as s:
        outcomes = s.scalars(select(AccessLogEntry.outcome).where(
            AccessLogEntry.actor_id == HIDDEN, AccessLogEntry.action == "benefit.read")).all()
    assert outcomes == ["forbidden"]


def test_a_decision_on_a_dossier_the_person_has_not_is_a_404_in_their_log(api: Api) -> None:
    # The approver read the person's claims; the 404 rolled the entry back with the request,
    # so nothing was logged (the command logs it as refused and names the field).
    missing = api.decide(APPROVER, OWN, "HS-9999")
    assert missing.status_code == 404
    assert missing.json() == {"errors": [{"field": "dossier_no", "reason":
                                          f"no claim with dossier HS-9999 for {OWN}"}]}
    with unit_of_work(api.engine) as s:
        rows = s.execute(select(AccessLogEntry.person_id, AccessLogEntry.outcome).where(
            AccessLogEntry.actor_id == "hn-approver")).all()
    assert len(rows) == 1 and rows[0][0] is not None and rows[0][1] == "refused"


def test_a_capacity_loss_out_of_range_is_refused_by_its_key(api: Api) -> None:
    pension = {"regime": "pension", "dossier_no": "HS-HT-1", "received_on": "2021-03-20",
               "event_from": "2021-04-01"}
    for extra, key in (({"capacity_loss_percent": 0}, "capacity_loss_percent"),
                       ({"capacity_loss_percent": "65"}, "capacity_loss_percent"),
                       ({"capacity_loss_percent": 65, "hazardous_years": 61},
                        "hazardous_years")):
        refused = api.claim(CLERK, OWN, pension | extra)
        assert refused.status_code == 422, refused.text
        assert refused.json()["detail"][0]["loc"] == ["body", key]


def test_a_long_unknown_ground_is_quoted_cut_short(api: Api) -> None:
    withdrawal = {"regime": "lump_sum", "dossier_no": "HS-LS-1", "received_on": "2021-03-20",
                  "ground": "g" * 100_000}
    refused = api.claim(CLERK, OWN, withdrawal)
    assert refused.status_code == 422, refused.text[:300]
    assert [e["field"] for e in refused.json()["errors"]] == ["ground"]
    assert len(refused.content) < 1_000


def test_a_decision_body_may_state_an_average_salary_checked_by_its_key(api: Api) -> None:
    """``average_salary`` is a settled pension's: a sickness decision stating one is refused by
    the key (422) and recorded nothing; out of range or as a string, the body's key too."""
    api.claim(CLERK, OWN)
    for value in (0, "12000000", 10_000_000_001):
        refused = api.decide(APPROVER, OWN, body=PAID | {"average_salary": value})
        assert refused.status_code == 422, refused.text
        assert refused.json()["detail"][0]["loc"] == ["body", "average_salary"]
    sick = api.decide(APPROVER, OWN, body=PAID | {"average_salary": 12_000_000})
    assert sick.status_code == 422
    assert [e["field"] for e in sick.json()["errors"]] == ["average_salary"]
    done = api.decide(APPROVER, OWN)
    assert (done.status_code, done.json()["decision"]["average_salary"]) == (201, None)


def test_infertility_treatment_is_a_maternity_claims_boolean_checked_by_its_key(
        api: Api) -> None:
    """FACTS §4.4: the key says a mother's leave follows infertility treatment; a sickness
    claim saying it, or a string for it, is refused by the key and records nothing."""
    refused = api.claim(CLERK, OWN, SICK | {"infertility_treatment": "yes"})
    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"][0]["loc"] == ["body", "infertility_treatment"]
    sick = api.claim(CLERK, OWN, SICK | {"infertility_treatment": True})
    assert sick.status_code == 422, sick.text
    assert [e["field"] for e in sick.json()["errors"]] == ["infertility_treatment"]
    received = api.claim(CLERK, OWN)
    assert (received.status_code, received.json()["infertility_treatment"]) == (201, False)


def test_an_occupational_disease_is_named_by_its_keys_and_checked_by_them(api: Api) -> None:
    """Law 84/2015/QH13 Art 46(2), Circular 15/2016/TT-BYT: the kind, the disease's code (its
    appendix), form and last month of exposure; a wrong type is refused by the key, a
    sickness claim naming a disease by our field, and a disease in the job is received named."""
    disease = {"regime": "occupational", "dossier_no": "HS-BNN-1", "received_on": "2021-03-20",
               "event_from": "2021-03-01", "occupational_kind": "disease", "disease_code": 6}
    for key, bad in (("disease_code", "6"), ("occupational_kind", "illness"),
                     ("exposure_ended", "2021-3")):
        refused = api.claim(CLERK, OWN, disease | {key: bad})
        assert refused.status_code == 422, refused.text
        assert refused.json()["detail"][0]["loc"] == ["body", key]
    sick = api.claim(CLERK, OWN, SICK | {"disease_code": 6})
    assert sick.status_code == 422, sick.text
    assert [e["field"] for e in sick.json()["errors"]] == ["disease_code"]
    received = api.claim(CLERK, OWN, disease)
    assert received.status_code == 201, received.text
    assert (received.json()["disease_name"], received.json()["guarantee"]) == (
        "Bệnh viêm phế quản mạn tính nghề nghiệp", None)


def test_a_claims_regime_is_read_in_any_letter_case_and_recorded_as_listed(api: Api) -> None:
    """As the CLI reads --regime Sickness: the listed spelling sent again is a replay."""
    received = api.claim(CLERK, OWN, SICK | {"regime": "Sickness"})
    assert (received.status_code, received.json()["regime"]) == (201, "sickness"), received.text
    assert api.claim(CLERK, OWN).json()["replayed"] is True


def test_a_decisions_outcome_is_read_in_any_letter_case_and_recorded_as_listed(
        api: Api) -> None:
    """As the CLI reads --outcome SETTLED: the listed spelling sent again is a replay."""
    api.claim(CLERK, OWN)
    decided = api.decide(APPROVER, OWN, body=PAID | {"outcome": "SETTLED"})
    assert decided.status_code == 201, decided.text
    assert decided.json()["decision"]["outcome"] == "settled"
    assert api.decide(APPROVER, OWN).json()["replayed"] is True


def test_a_claims_ground_and_occupational_kind_are_read_in_any_letter_case(api: Api) -> None:
    """As the CLI reads --ground Emigration and --occupational-kind Disease."""
    # Still contributing, so refused by the regime's rule alone: the ground is a listed word.
    withdrawal = {"regime": "lump_sum", "dossier_no": "HS-LS-2", "received_on": "2021-03-20"}
    typed, listed = (api.claim(CLERK, OWN, withdrawal | {"ground": ground})
                     for ground in ("Emigration", "emigration"))
    assert typed.status_code == 422 and typed.json() == listed.json(), typed.text
    assert [e["field"] for e in typed.json()["errors"]] == ["regime"]
    disease = api.claim(CLERK, OWN, {
        "regime": "occupational", "dossier_no": "HS-BNN-2", "received_on": "2021-03-20",
        "event_from": "2021-03-10", "occupational_kind": "Disease", "disease_code": 6})
    assert disease.status_code == 201, disease.text
    assert disease.json()["occupational_kind"] == "disease"


@pytest.mark.parametrize(("schema", "field"), [
    ("ClaimIn", "regime"), ("ClaimIn", "ground"), ("ClaimIn", "occupational_kind"),
    ("DecisionIn", "outcome")])
def test_a_bodys_words_are_said_to_be_read_in_any_case(api: Api, schema: str, field: str
                                                       ) -> None:
    declared = api.spec["components"]["schemas"][schema]["properties"][field]
    assert "any letter case" in declared["description"]


def test_the_openapi_lists_a_bodys_words_as_answered(api: Api) -> None:
    schemas = api.spec["components"]["schemas"]
    assert schemas["Regime"]["enum"] == ["sickness", "maternity", "occupational", "pension",
                                         "survivorship", "lump_sum", "unemployment"]
    kind = schemas["ClaimIn"]["properties"]["occupational_kind"]["anyOf"][0]
    assert kind["enum"] == ["accident", "disease"]
