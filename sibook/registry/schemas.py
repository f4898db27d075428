"""Pydantic schemas at the registry's edges (HTTP bodies and registry files)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from sibook.api.choices import (
    REGION_DOC,
    SEX_DOC,
    SUPPORT_CASE,
    RegionText,
    SexWord,
    SupportText,
    any_case,
    case_said,
)
from sibook.api.days import Day
from sibook.contributions.domain import JOB_TITLE_MAX, MAX_SALARY, PAYMENT_CYCLES
from sibook.core.period import MONTH_PATTERN, Period
from sibook.ids import UNIT_CODE_SHAPE, countries, provinces_2025
from sibook.law.terms import SUPPORT_GROUPS
from sibook.registry.domain import OFFICE_SHAPE, SALARY_REGIMES
from sibook.registry.new_employer import NewEmployer
from sibook.registry.new_household import HouseholdMemberIn, NewHousehold
from sibook.registry.new_person import PHONE_SHAPE, NewPerson, RelatedPerson

# The 34 provinces since 1/7/2025, listed in the OpenAPI and checked by the registry: a code the
# merger closed is the domain's 422 naming the field and the province it went to.
_CurrentProvinceCode = Annotated[str, Field(pattern=r"^[0-9]{2}$", json_schema_extra={
    "enum": [p.code for p in provinces_2025()]})]


class _Input(BaseModel):
    # A misspelt key ("ethnicty", "person") would otherwise be dropped without a word and its
    # value replaced by the default: every key of a body or a registry file must be known.
    model_config = ConfigDict(extra="forbid")


class RelatedIn(_Input):
    relation: Literal["father", "mother", "spouse", "legal_representative"]
    full_name: str = Field(min_length=1, max_length=120)
    personal_id: str | None = Field(default=None, pattern=r"^[0-9]{12}$")


class PersonIn(_Input):
    personal_id: str = Field(pattern=r"^[0-9]{12}$")
    full_name: str = Field(min_length=1, max_length=120)
    birth_date: Day
    sex: SexWord = Field(description=SEX_DOC)
    birth_registration_place: str = Field(pattern=r"^[0-9]{3}$")
    ethnicity: str | None = Field(default=None, max_length=40, description=(
        "One of Vietnam's 54 ethnic groups as the General Statistics Office writes them (Kinh, "
        "Tày, Thái, Mường, Khmer, Hoa, Nùng, H'Mông, ...; stored in that spelling), or 'Người "
        "nước ngoài' for a foreign national. Absent: Kinh for nationality VN, 'Người nước "
        "ngoài' otherwise"))
    # The codes listed, checked by the registry: a code ISO 3166-1 never assigned (XK, NX) is
    # the domain's 422 naming the field.
    nationality: str = Field(default="VN", pattern=r"^[A-Z]{2}$",
                             json_schema_extra={"enum": [c for c in sorted(countries())]},
                             description="ISO 3166-1 alpha-2 country code")
    legacy_si_code: str | None = Field(default=None, pattern=r"^[0-9]{10}$")
    hometown: str | None = Field(default=None, max_length=200)
    permanent_residence: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=20,
                              json_schema_extra={"pattern": PHONE_SHAPE})
    email: str | None = Field(default=None, max_length=120)
    address: str | None = Field(default=None, max_length=200)
    relations: list[RelatedIn] = Field(default_factory=list, max_length=4)

    def to_domain(self) -> NewPerson:
        # PersonIn's own fields only: a subclass (WorkerIn) adds the job, not the person.
        data = self.model_dump(include=set(PersonIn.model_fields) - {"relations"})
        return NewPerson(
            **data, relations=tuple(RelatedPerson(**r.model_dump()) for r in self.relations)
        )


# The groups are listed in the OpenAPI, but checked by the rules: a group the law does not know
# is the domain's 422 naming the field (as ``/rules/contribution`` answers it), not FastAPI's.
_SupportGroupName = Annotated[SupportText, Field(json_schema_extra={"enum": [*SUPPORT_GROUPS]})]


class VoluntaryIn(_Input):
    """Voluntary SI, which the person asks for themself (TK1-TS): the declared monthly income
    and their state-support group."""

    income: StrictInt = Field(gt=0, le=MAX_SALARY, description=(
        "Declared monthly income, VND: from the rural poverty line to 20 x the reference level "
        "in force in from_month"))
    support_group: _SupportGroupName | None = Field(
        default=None, max_length=40, description=(
            "The state's support: poor, near_poor, ethnic_minority, island or other (everyone "
            "else). Absent: other, as the law supports everyone; the system itself stops the "
            "support after the 120 months the law allows" + SUPPORT_CASE))
    from_month: str | None = Field(default=None, pattern=MONTH_PATTERN,
                                   description="First month, YYYY-MM (default: this month)")


# The SI office that manages a person, so that their province's officers see them: named by a
# national officer, or taken from a provincial one (``office_for``).
_OFFICE_CODE = ("The SI office managing the person (five digits, the province's two first: "
                "01000 is Hà Nội's). ")
_ManagingOffice = Annotated[str | None, Field(pattern=r"^[0-9]{5}$", json_schema_extra={
    "pattern": OFFICE_SHAPE}, description=(
    _OFFICE_CODE + "Default: a provincial officer's own province's; else the office already "
    "managing them, else their household's province's, else that of the province where their "
    "birth was registered (the personal ID's first three digits); refused only for a birth "
    "registered abroad with none of these"))]


class ImportedPersonIn(PersonIn):
    """A person of a registry file, and the SI office managing them."""

    managing_office: str | None = Field(default=None, pattern=r"^[0-9]{5}$", json_schema_extra={
        "pattern": OFFICE_SHAPE}, description=(
        _OFFICE_CODE + "Default: that of the province of the file's household listing them, "
        "else of the province where their birth was registered (the personal ID's first three "
        "digits); a row with none of these (a birth registered abroad) is refused"))


class PersonRegistrationIn(PersonIn):
    """A person registered by an officer: with ``voluntary``, as a voluntary participant."""

    voluntary: VoluntaryIn | None = None
    managing_office: _ManagingOffice = None


class VoluntaryStartIn(VoluntaryIn):
    """Voluntary SI started at the SI office for a registered person, and who manages them."""

    managing_office: _ManagingOffice = None


class JoinIn(VoluntaryIn):
    """Voluntary SI the citizen starts themself, and the province they live in, whose SI office
    then manages them (their payments, their dossiers): the population database tells no
    residence."""

    province_code: str | None = Field(default=None, pattern=r"^[0-9]{2}$", description=(
        "The province the citizen lives in (one of the 34 current codes, 01 is Hà Nội): its SI "
        "office manages them. Needed unless an office manages them already or the registry "
        "holds their household"))


class WorkerIn(PersonIn):
    """TK1-TS by the employer: the person, and the job they start (the first TM line)."""

    salary: StrictInt = Field(gt=0, le=MAX_SALARY, description="Monthly salary basis, VND")
    allowances: StrictInt = Field(default=0, ge=0, le=MAX_SALARY,
                                  description="Allowances counted in the basis, VND")
    job_title: str | None = Field(default=None, max_length=JOB_TITLE_MAX)
    from_month: str | None = Field(default=None, pattern=MONTH_PATTERN,
                                   description="First month of work, YYYY-MM (default: this "
                                               "month; earlier months are assessed at once)")


class MemberIn(_Input):
    personal_id: str = Field(pattern=r"^[0-9]{12}$")
    relation_to_head: str = Field(min_length=1, max_length=30)


class HouseholdIn(_Input):
    code: str = Field(min_length=1, max_length=20)
    address: str = Field(min_length=1, max_length=200)
    province_code: _CurrentProvinceCode
    members: list[MemberIn] = Field(min_length=1, max_length=50)

    def to_domain(self) -> NewHousehold:
        return NewHousehold(
            code=self.code,
            address=self.address,
            province_code=self.province_code,
            members=tuple(HouseholdMemberIn(**m.model_dump()) for m in self.members),
        )


# Listed in the OpenAPI, checked by the registry (the domain's 422 naming the field).
_PaymentCycleName = Annotated[str, any_case(tuple(PAYMENT_CYCLES)), Field(
    max_length=8, json_schema_extra={"enum": [*PAYMENT_CYCLES]}, description=(
    "Payment method: monthly, or 3 or 6 (months per payment), which agriculture, forestry, "
    "fishery and salt-making units paying by product or piece-rate may register (Law "
    "41/2024/QH15 Art 33(1)(b)); each cycle falls due on the last day of the month after it "
    "(Art 34(4)). The unit's sector is not checked: the agency accepts the registration"
    + case_said("Monthly", "monthly")))]
# Listed in the OpenAPI, checked by the registry, as a payment method is.
_SalaryRegimeName = Annotated[str, any_case(SALARY_REGIMES)]
_REGIME_CASE = case_said("State", "state")


class EmployerIn(_Input):
    # The shape declared, checked by the registry (the domain's 422 naming the field).
    code: str = Field(min_length=7, max_length=13, json_schema_extra={"pattern": UNIT_CODE_SHAPE})
    name: str = Field(min_length=1, max_length=200)
    province_code: _CurrentProvinceCode
    # Listed in the OpenAPI, checked by the registry: a region the law does not know is the
    # domain's 422 naming the field, as a support group's is.
    region: RegionText = Field(max_length=8, description=REGION_DOC,
                               json_schema_extra={"enum": ["I", "II", "III", "IV"]})
    address: str | None = Field(default=None, max_length=200)
    business_type: str | None = Field(default=None, max_length=60)
    payment_cycle: _PaymentCycleName = "monthly"
    payment_cycle_from: str | None = Field(default=None, pattern=MONTH_PATTERN, description=(
        "First month paid by that method, YYYY-MM (default: this month)"))
    salary_regime: _SalaryRegimeName | None = Field(
        default=None, max_length=8, json_schema_extra={"enum": [*SALARY_REGIMES]},
        description=(
            "Who sets the unit's pay: employer (an enterprise; the default) or state (a state "
            "agency or public unit paying by the state's salary scale; the default, and the "
            "only value, for a unit of the defence or public-security realm). A pension "
            "averages employer-set salaries over the whole period of SI and state-scale ones "
            "over the last years by the year SI started (Law 41/2024/QH15 Art 72)" + _REGIME_CASE))

    def to_domain(self) -> NewEmployer:
        data = self.model_dump()
        start = data.pop("payment_cycle_from")
        return NewEmployer(**data, payment_cycle_from=Period.parse(start) if start else None)


class PaymentCycleIn(_Input):
    """The unit's payment method from a month on; the months before keep theirs."""

    payment_cycle: _PaymentCycleName
    from_month: str = Field(pattern=MONTH_PATTERN, description="First month paid so, YYYY-MM")


class SalaryRegimeIn(_Input):
    """Who sets the unit's pay from a month on; the months before keep theirs."""

    salary_regime: _SalaryRegimeName = Field(
        max_length=8, json_schema_extra={"enum": [*SALARY_REGIMES]}, description=(
        "employer (the unit sets the pay) or state (it pays by the state's salary scale; the "
        "only regime of a unit of the defence or public-security realm). A pension averages "
        "employer-set salaries over the whole period of SI and state-scale ones over the last "
        "years by the year SI started (Law 41/2024/QH15 Art 72)" + _REGIME_CASE))
    from_month: str = Field(pattern=MONTH_PATTERN, description=(
        "First month paid so, YYYY-MM (a regime registered wrong: the unit's first month)"))


class Created(BaseModel):
    id: int
    replayed: bool = Field(default=False, description=(
        "true: the same registration was made before (a request sent again after its answer "
        "was lost); this is its answer, and nothing changed"))


class EmployerCreated(Created):
    """The unit as recorded, as `sibook employers add --json` answers it: the salary regime and
    payment method the officer's realm and the defaults gave it included."""

    code: str
    name: str
    province_code: str
    region: str
    payment_cycle: str
    salary_regime: Literal["employer", "state"]


class RegistryBatch(_Input):
    """A registry file: employers, then persons, then households, applied in one transaction."""

    employers: list[EmployerIn] = Field(default_factory=list)
    persons: list[ImportedPersonIn] = Field(default_factory=list)
    households: list[HouseholdIn] = Field(default_factory=list)
