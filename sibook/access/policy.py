"""Authorisation in one place: every API route declares one action, and this module decides.

A route declares its action with ``Depends(require(Action.X))`` (see ``sibook.access.deps``)
and receives a :class:`Guard`; through it, it resolves the persons it touches, which both
enforces the scope and writes the access log. Adding an action means adding one row to RULES.

Refusals: 401 no or bad token; 403 the principal's kind, role or assurance level may not do the
action at all; 404 the person is not visible to the principal. A person outside the caller's
scope or realm and a personal ID nobody holds get the same 404 body, so probing a personal ID
tells nothing (issue 6: uniform errors; other-realm persons are absent, not forbidden).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from sibook.access import audit, hi_checks, scope
from sibook.access.actions import Action as Action  # routes name their action here too
from sibook.access.former_workers import Identity, identities_at_leaving
from sibook.access.principals import (
    CIVIL,
    Anonymous,
    Citizen,
    EmployerUnit,
    Forbidden,
    Hospital,
    Officer,
    Principal,
)
from sibook.core.db import begin_writing
from sibook.core.errors import ConflictError, NotFoundError

NOT_VISIBLE = "no person with that personal ID in your scope"
NO_HOLDER = "no person holding that number in your scope"  # an SI code's, an HI card's
LEVEL_2 = 2
NEEDS_LEVEL_2 = "this needs a level-2 e-identity (VNeID level 2)"
OPERATOR_PURPOSE = "operator command"  # what a ``sibook`` command logs as its purpose

ALL_ROLES = frozenset({"clerk", "approver", "auditor"})
CLERK = frozenset({"clerk"})
APPROVER = frozenset({"approver"})


@dataclass(frozen=True)
class Rule:
    """Who may do an action. Citizens act on their own record only; employers on their own
    workers only; hospitals on HI validity and their own facility's claims; officers need one
    of ``officer_roles``."""

    purpose: str  # logged when the caller gives no X-Purpose
    citizen: bool = False
    employer: bool = False
    hospital: bool = False
    officer_roles: frozenset[str] = frozenset()
    personal: bool = True  # touches personal data: every person it touches is logged


RULES: dict[Action, Rule] = {
    Action.PUBLIC: Rule("public information", citizen=True, employer=True, hospital=True,
                        officer_roles=ALL_ROLES, personal=False),
    Action.PERSON_LIST: Rule("search the registry", employer=True, officer_roles=ALL_ROLES),
    Action.PERSON_READ: Rule("read a person's record", employer=True, officer_roles=ALL_ROLES),
    Action.PERSON_REGISTER: Rule("register a person", officer_roles=CLERK),
    # TK1-TS: an employer registers the worker it takes on (for its own unit only).
    Action.WORKER_REGISTER: Rule("register a worker (TK1-TS)", employer=True,
                                 officer_roles=CLERK),
    Action.HOUSEHOLD_ADD: Rule("register a household", officer_roles=CLERK),
    Action.EMPLOYER_LIST: Rule("list employers", officer_roles=ALL_ROLES, personal=False),
    Action.EMPLOYER_REGISTER: Rule("register an employer", officer_roles=CLERK, personal=False),
    # A unit's salary regime or payment method from a month on changes its workers' books from
    # then (how their months are priced, when they fall due): each of them finds it in their
    # access log, as they find a filing of theirs.
    Action.EMPLOYER_CHANGE: Rule("change an employer's salary regime or payment method",
                                 officer_roles=CLERK),
    Action.ME_READ: Rule("citizen reads own record", citizen=True),
    Action.ME_ACCESS_LOG: Rule("citizen reads who looked at their data", citizen=True),
    # Not employers: a book holds every month of a career, and an employer may see only the
    # months a worker worked for it (the person ledger, filtered by Guard.own_unit, shows those).
    Action.BOOK_READ: Rule("read the SI book", citizen=True, officer_roles=ALL_ROLES),
    Action.BOOK_ISSUE: Rule("issue or revoke an SI book", officer_roles=APPROVER),
    Action.CONTRIBUTION_READ: Rule("read contributions", citizen=True, employer=True,
                                   officer_roles=ALL_ROLES),
    Action.CONTRIBUTION_DECLARE: Rule("declare contributions", employer=True,
                                      officer_roles=CLERK),
    # Recorded by the agency from the bank's statement, never by the payer: an employer that
    # could post (and date) its own remittance could date it before its deadline and owe no
    # late interest. The months it pays read paid in the workers' books: logged for each.
    Action.EMPLOYER_PAY: Rule("record an employer's remittance", officer_roles=CLERK),
    # A voluntary participant's payments are theirs and the agency's, no employer's.
    Action.VOLUNTARY_READ: Rule("read voluntary SI payments", citizen=True,
                                officer_roles=ALL_ROLES),
    # Recorded by the agency from the collector's or bank's receipt, never by the payer: a
    # citizen who could post their own payment could buy SI months with a claim.
    Action.VOLUNTARY_PAY: Rule("record a voluntary SI payment", officer_roles=CLERK),
    # Voluntary SI is the person's own choice: they ask for it themself (TK1-TS), signed in
    # with their e-identity; an officer registers one at the counter (PERSON_REGISTER).
    Action.VOLUNTARY_JOIN: Rule("citizen joins voluntary SI", citizen=True),
    # A benefit is the person's and the agency's: employers see none of it (a sickness claim
    # would tell them of an illness). A clerk receives the dossier; an approver, never the same
    # role, decides it (the four-eyes rule of any payment).
    Action.BENEFIT_READ: Rule("read benefits claimed and settled", citizen=True,
                              officer_roles=ALL_ROLES),
    Action.BENEFIT_CLAIM: Rule("receive a benefit claim", officer_roles=CLERK),
    Action.BENEFIT_DECIDE: Rule("settle or refuse a benefit claim", officer_roles=APPROVER),
    Action.HI_CHECK: Rule("check HI validity at a health facility", hospital=True,
                          officer_roles=ALL_ROLES),
    # A facility files the claims of its own facility (Decision 130/QĐ-BYT); it reads no visit
    # back, not even its own: a patient's history at other facilities is not its business, and
    # what it filed it holds already. The citizen and the agency's officers read them.
    Action.VISIT_FILE: Rule("file a health facility's HI claims", hospital=True),
    Action.VISIT_READ: Rule("read HI visits (KCB history)", citizen=True,
                            officer_roles=ALL_ROLES),
    # A visit recorded wrongly is annulled by the facility that filed it (its own facility's
    # only) or by the agency's clerk or approver in scope; an auditor only reads.
    Action.VISIT_ANNUL: Rule("annul a wrongly recorded HI visit", hospital=True,
                             officer_roles=CLERK | APPROVER),
    Action.AUDIT_READ: Rule("audit the access log", officer_roles=frozenset({"auditor"}),
                            personal=False),
}


def permits(principal: Principal, action: Action) -> str | None:
    """None when the principal's kind may do the action; otherwise the reason it may not."""
    rule = RULES[action]
    match principal:
        case Anonymous():
            ok = action is Action.PUBLIC
        case Citizen(level=level):
            if rule.citizen and rule.personal and level < LEVEL_2:
                return NEEDS_LEVEL_2
            ok = rule.citizen
        case EmployerUnit():
            ok = rule.employer
        case Hospital():
            ok = rule.hospital
        case Officer(roles=roles):
            ok = bool(roles & rule.officer_roles)
    article = "an" if principal.kind[:1] in "aeiou" else "a"
    return None if ok else f"{article} {principal.kind} may not do {action.value}"


@dataclass
class Guard:
    """One request's decision context: who, which action, which route, and the log."""

    principal: Principal
    action: Action
    route: str
    session: Session
    purpose: str

    def _access(self, outcome: str, person_id: int | None, detail: str | None = None,
                ) -> audit.Access:
        return audit.Access(actor_kind=self.principal.kind, actor_id=self.principal.actor_id,
                            action=self.action.value, route=self.route, purpose=self.purpose,
                            outcome=outcome, person_id=person_id, detail=detail)

    def refuse(self, exc: Exception, outcome: str,
               person_ids: Iterable[int | None] = (None,), *, detail: str | None = None,
               ) -> Exception:
        """Log a refusal so it survives the request's rollback, and return ``exc`` to raise:
        for each person it concerns (``person_ids``, one group entry for several; none given:
        one entry naming nobody); ``detail``: what it was about (``sibook.access.details``).

        The request's own work is rolled back first (it is refused anyway); the refusal entries
        are committed alone in the same session, which avoids a second writer on SQLite.
        """
        self.session.rollback()
        begin_writing(self.session)  # the request's unit of work may have been a reading one
        audit.append_many(session=self.session,
                          accesses=[self._access(outcome, pid, detail) for pid in person_ids])
        self.session.commit()
        return exc

    def check(self, personal_id: str | None = None) -> None:
        """Refuse an action the principal's role does not allow. ``personal_id``: the person
        the request names, whose access log then shows the refused attempt too (when such a
        person is registered; the answer is the same 403 either way)."""
        reason = permits(self.principal, self.action)
        if reason is not None:
            # Any number the HI check takes (an SI code, a card's) names its holder there;
            # elsewhere the address takes a personal ID only, and such a number names nobody.
            find = scope.find_holder if self.action is Action.HI_CHECK else scope.find_person
            found = find(self.session, personal_id) if personal_id else None
            raise self.refuse(Forbidden(reason), "forbidden", (found[0] if found else None,))

    def visible(self) -> ColumnElement[bool]:
        """WHERE clause for lists, counts and exports over ``persons``."""
        return scope.visible_to(self.principal)

    def sees(self, person_id: int, *, placing: bool = False) -> bool:
        """Whether the principal may see the person (as ``person`` decides), nothing logged:
        a registration sent again is answered to whoever may read its answer anyway."""
        return scope.can_see(self.session, self.principal, person_id, placing=placing)

    def sees_now(self, person_id: int) -> bool:
        """``sees``, and for an employer only a worker still with it: a registration sent
        again is answered as the first (or naming what differs) to it while they work for it,
        never after they left, when it would tell what the person's record became since (a
        voluntary start, another office, a new phone) to a unit that is no longer theirs."""
        unit = self.own_unit()
        return (unit is None or scope.still_with(self.session, unit, person_id)) and self.sees(
            person_id)

    def person(self, personal_id: str, *, placing_in: str | None = None, log: bool = True
               ) -> int:
        """The internal id of a person the principal may see, logged; 404 otherwise.

        ``placing_in``: the route puts the person in that province (a household), so an officer
        of that province may act before the person belongs to it; the realm still holds.
        ``log`` False: the route logs the access itself once it knows how it ended (answered,
        a replay too, or refused, which logs its own entry).
        """
        found = scope.find_person(self.session, personal_id)
        if placing_in is not None:
            self.province(placing_in)
        return self._visible(found, NOT_VISIBLE, placing=placing_in is not None, log=log)

    def holder(self, number: str) -> int:
        """``person`` by any number the HI check at admission takes (``scope.find_holder``: an
        SI code, an HI card number's SI code), logged: one of another realm or scope answers
        the 404 of a number nobody holds, as a personal ID does."""
        ranked = scope.holders_by_rank(self.session, number)
        seen: list[tuple[int, str]] = []
        for rank in ranked:  # the first rank the caller sees anyone of
            seen = [h for h in rank if scope.can_see(self.session, self.principal, h[0])]
            if seen:
                break
        if len(seen) > 1:  # one SI code, two people's cards: never answer for the wrong one
            raise self.refuse(ConflictError(
                f"more than one person's HI card carries {number.strip()}: check by the "
                "personal ID", field="personal_id"), "refused", [h[0] for h in seen])
        if seen:
            self.logged([seen[0][0]])
            return seen[0][0]
        hidden = next((rank[0] for rank in ranked if rank), None)  # in whose log the 404 is
        return self._visible(hidden, NO_HOLDER)

    def _visible(self, found: tuple[int, str] | None, absent: str, *, placing: bool = False,
                 log: bool = True) -> int:
        if found is None or not scope.can_see(self.session, self.principal, found[0],
                                              placing=placing):
            if self.action is Action.HI_CHECK:  # committed in the turn: the refusal rolls back
                hi_checks.failed(self.session, self.principal)
                self.session.commit()
            raise self.refuse(NotFoundError(absent, field="personal_id"), "not_found",
                              (found[0] if found else None,))
        if log:
            self.logged([found[0]])
        return found[0]

    def kept_by_the_ministry(self, person_id: int, what: str) -> None:
        """A person of the defence or public-security realm reading their own ``what`` (their
        months, their benefits): 403, logged. Units, posts and pay are their ministry's to
        keep; the restricted book they carry shows the totals (FACTS §1.2)."""
        if isinstance(self.principal, Citizen) and scope.realm_of(self.session,
                                                                  person_id) != CIVIL:
            raise self.refuse(Forbidden(
                f"the {what} of people managed by the defence and public-security ministries "
                "are kept by their ministry; your book shows your total time of SI"),
                "forbidden", (person_id,))

    def province(self, province_code: str) -> None:
        """An officer of a province acts in that province only (national officers anywhere)."""
        p = self.principal
        if isinstance(p, Officer) and p.province_code not in (None, province_code):
            raise self.refuse(Forbidden("outside your province"), "forbidden")

    def own_personal_id(self) -> str:
        """The signed-in citizen's personal ID, for routes on the caller's own record (never
        one taken from the URL); anyone else is refused."""
        if not isinstance(self.principal, Citizen):
            raise self.refuse(Forbidden("this is for citizens signed in with their e-identity"),
                              "forbidden")
        return self.principal.personal_id

    def employer(self, unit_code: str, *, field: str = "code") -> None:
        """An employer acts for its own unit only; an officer for the units of their realm and
        province. Civil unit codes are public, so these are 403s; a ministry's unit is a 404
        outside its realm, naming ``field``, the input that gave the code."""
        p = self.principal
        if not isinstance(p, EmployerUnit | Officer):  # a citizen's own months are on /me
            raise self.refuse(Forbidden("only the unit itself or an officer may act for an "
                                        "employer"), "forbidden")
        if isinstance(p, EmployerUnit) and p.unit_code != unit_code:
            raise self.refuse(Forbidden("an employer may act for its own unit only"),
                              "forbidden")
        if isinstance(p, Officer):
            place = scope.employer_place(self.session, unit_code)
            # A ministry's unit is absent outside its realm, as its people are (its dues would
            # tell their pay); a civil unit's code is public, so another realm's officer is
            # told it is not theirs.
            if place is None or place[1] not in (CIVIL, p.realm):
                raise NotFoundError(f"no employer with code {unit_code}", field=field)
            if place[1] != p.realm:
                raise self.refuse(Forbidden("employers are outside your realm"), "forbidden")
            self.province(place[0])

    def own_facility(self) -> str:
        """The facility code a hospital files for (its credential's); anyone else, or a
        credential that names no facility, is refused."""
        p = self.principal
        if not isinstance(p, Hospital) or not p.facility_code:
            raise self.refuse(Forbidden("this credential names no health facility (MA_CSKCB): "
                                        "a hospital's credential made with its facility code "
                                        "files its claims"), "forbidden")
        return p.facility_code

    def own_unit(self) -> str | None:
        """The unit code an employer acts for (it sees its workers' months with it only);
        None for everyone else."""
        return self.principal.unit_code if isinstance(self.principal, EmployerUnit) else None

    def identities_at_leaving(self, person_ids: Iterable[int]) -> dict[int, Identity]:
        """For an employer, its former workers among ``person_ids`` with the name and birth date
        recorded while they worked for it (``former_workers``): what the registry says now may
        be from after they left. Empty for anyone else, who is shown the registry as it is."""
        unit = self.own_unit()
        return {} if unit is None else identities_at_leaving(self.session, unit, person_ids)

    def logged(self, person_ids: Iterable[int], *, session: Session | None = None,
               outcome: str = "allowed", detail: str | None = None) -> None:
        """Record a read or change of these persons, in the request's transaction (or in
        ``session``'s: a large filing is applied after the request has been answered).
        ``outcome`` "refused": a refused filing's checks read these persons' records.
        ``detail``: what it was about, where the action does not say (``access.details``)."""
        if not RULES[self.action].personal:
            return
        audit.append_for(session=session or self.session,
                         access=self._access(outcome, None, detail), person_ids=person_ids)
