"""The actions a route or command declares (``sibook.access.policy`` decides who may do each):
a module of its own, so a command that only names its action in the access log loads none of
the policy's scope queries."""

from __future__ import annotations

from enum import StrEnum


class Action(StrEnum):
    PUBLIC = "public"  # no personal data: law tables, health, the sign-in endpoints
    PERSON_LIST = "person.list"
    PERSON_READ = "person.read"
    PERSON_REGISTER = "person.register"
    WORKER_REGISTER = "worker.register"
    HOUSEHOLD_ADD = "household.add"
    EMPLOYER_LIST = "employer.list"
    EMPLOYER_REGISTER = "employer.register"
    EMPLOYER_CHANGE = "employer.change"
    ME_READ = "me.read"
    ME_ACCESS_LOG = "me.access_log"
    BOOK_READ = "book.read"
    BOOK_ISSUE = "book.issue"
    CONTRIBUTION_READ = "contribution.read"
    CONTRIBUTION_DECLARE = "contribution.declare"
    EMPLOYER_PAY = "employer.pay"
    VOLUNTARY_READ = "voluntary.read"
    VOLUNTARY_PAY = "voluntary.pay"
    VOLUNTARY_JOIN = "voluntary.join"
    BENEFIT_READ = "benefit.read"
    BENEFIT_CLAIM = "benefit.claim"
    BENEFIT_DECIDE = "benefit.decide"
    HI_CHECK = "hi.check"
    VISIT_FILE = "visit.file"
    VISIT_READ = "visit.read"
    VISIT_ANNUL = "visit.annul"
    AUDIT_READ = "audit.read"
