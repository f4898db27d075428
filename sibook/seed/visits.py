"""Seeded HI visits: about one insured person in four went to their initial KCB place once to
three times this year, so the portal's visits page, ``sibook visits list`` and the API show
some. Deterministic for a seed and a day.

Most are outpatient visits (Khám bệnh, 01) of a few hundred thousand VND; one in eight is an
inpatient stay (03) of a few days and millions. The HI fund pays the card's benefit level of
the cost and the patient the rest (FACTS §5.3: level 4 80%, 3 95%, 1, 2 and 5 100%): the share
is the seed's, for synthetic data only; a facility's claim states what was paid. The records
are written as a facility files them (``sibook.visits``), each checked by the same rules.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from sqlalchemy import Connection, select

from sibook.core.bulk import write
from sibook.registry.store import HICard, Person
from sibook.visits.domain import Visit, read_record

SHARE = 0.25
BY = "seed"
# Synthetic seed data: the HI fund's share by benefit level (FACTS §5.3 table).
COVERED_PERCENT = {1: 100, 2: 100, 3: 95, 4: 80, 5: 100}
OUTPATIENT = ("J03", "J06.9", "K29.7", "I10", "E11.9", "M54.5", "A09", "H10.9", "L30.9")
INPATIENT = ("K35.8", "J18.9", "I63.9", "S72.0", "O80")
COLUMNS = ("person_id", "facility_code", "link_code", "card_number", "admitted_at",
           "discharged_at", "diagnosis", "visit_type", "total_cost", "hi_paid",
           "patient_paid", "filed_by")


def seed_visits(conn: Connection, *, seed: int, today: date) -> int:
    """Write the seeded visits; rows written."""
    rng = random.Random(f"visits-{seed}")
    cards = conn.execute(
        select(HICard.person_id, Person.personal_id, Person.full_name, HICard.card_number,
               HICard.benefit_level, HICard.initial_kcb_place, HICard.valid_from,
               HICard.valid_to)
        .join(Person, Person.person_id == HICard.person_id)
        .where(Person.realm == "civil", HICard.valid_from < today)
        .order_by(HICard.person_id, HICard.seq)).all()
    rows: list[tuple[object, ...]] = []
    now = datetime.combine(today, time())
    for person_id, personal_id, name, card, level, place, valid_from, valid_to in cards:
        if rng.random() >= SHARE:
            continue
        last = min(valid_to, today - timedelta(days=1))
        for n in range(rng.randint(1, 3)):
            visit = _visit(rng, (personal_id, name), card, level, place, valid_from, last,
                           f"SEED{person_id:09d}{n}", now)
            if visit is not None:
                rows.append((person_id, visit.facility_code, visit.link_code, visit.card_text,
                             visit.admitted_at, visit.discharged_at, visit.diagnosis,
                             visit.visit_type, visit.total_cost, visit.hi_paid,
                             visit.patient_paid, BY))
    write(conn, "hi_visits", COLUMNS, rows)
    return len(rows)


def _visit(rng: random.Random, patient: tuple[str, str], card: str, level: int, place: str,
           first: date, last: date, link: str, now: datetime) -> Visit | None:
    """One visit within the card's validity, as its claim's XML1 would say it."""
    if last < first:
        return None
    day = first + timedelta(days=rng.randint(0, (last - first).days))
    admitted = datetime.combine(day, time(rng.randint(7, 16), rng.choice((0, 15, 30, 45))))
    if rng.random() < 0.125:
        kind, diagnosis = "03", rng.choice(INPATIENT)
        discharged = admitted + timedelta(days=rng.randint(2, 7), hours=rng.randint(0, 5))
        total = rng.randint(30, 200) * 100_000
    else:
        kind, diagnosis = "01", rng.choice(OUTPATIENT)
        discharged = admitted + timedelta(minutes=rng.choice((45, 60, 90, 120, 150)))
        total = rng.randint(12, 60) * 10_000 + rng.choice((0, 3_500, 7_300))
    if discharged >= now:  # a stay still going on is not claimed yet: it ended earlier
        early = discharged - now + timedelta(hours=3)
        admitted, discharged = admitted - early, discharged - early
        if admitted.date() < first:
            return None
    hi = total * COVERED_PERCENT[level] // 100
    fields = {"MA_LK": link, "MA_CSKCB": place, "SO_CCCD": patient[0], "HO_TEN": patient[1],
              "MA_THE_BHYT": card,
              "NGAY_VAO": f"{admitted:%Y%m%d%H%M}", "NGAY_RA": f"{discharged:%Y%m%d%H%M}",
              "MA_BENH_CHINH": diagnosis, "MA_LOAI_KCB": kind, "T_TONGCHI_BV": str(total),
              "T_BHTT": str(hi), "T_BNCCT": str(total - hi)}
    visit, problems = read_record(fields, 0, place, now)
    return visit if not problems else None
