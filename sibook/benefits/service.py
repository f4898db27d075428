"""Receiving a claim (``intake``), deciding it (``settlement``), and listing a person's benefits
(``reading``): the use cases the API and the CLI call, importable from here.

Each is recorded once: the same dossier received again, or the same decision taken again,
answers the first result and changes nothing (a retried request, a re-run script); with other
content it is refused (409, naming the field). What the law asks of the person's record is
checked against the record: sickness and work-accident benefits are for someone in compulsory
SI at the time, a one-time withdrawal for someone who has stopped contributing and is on no
pension (FACTS §4.2), a pension for someone who has reached the retirement age and whose record
can reach 15 years, or before that age as far as the loss of working capacity the claim gives
allows, with 20 years (§4.1, Law 41/2024 Art 65; both checked again when settled), an
unemployment benefit for 12 months of UI paid in the 24 before the contract ended (FACTS §4.6;
both checked again when settled).
"""

from sibook.benefits.intake import receive_claim
from sibook.benefits.reading import detail, listing
from sibook.benefits.recorded_once import BenefitConflict
from sibook.benefits.settlement import SameOfficer, decide

__all__ = ["BenefitConflict", "SameOfficer", "decide", "detail", "listing", "receive_claim"]
