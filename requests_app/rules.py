"""The jurisdiction rule table: how long we have to answer a privacy request, how the
deadline may be extended, when receipt must be acknowledged, limits, appeals, fees, who
the person can complain to, and since when (and until when) each row is the law.

This module is the single source of the table. It is data, not code branches: a lawyer
corrects a row (its numbers, ``citations``, ``authority``, ``checked_on``) and the routes
below, without touching the workflow. Staff read it in the admin (Privacy requests →
"Jurisdiction rules"), which renders this table directly, so what staff read is always
what the workflow applies. ``docs/law.md`` explains every row and how to change one.

Periods: ``("months", n)``, ``("days", n)`` (calendar days), ``("business_days", n)`` or
``("working_days", n)`` (both skip weekends, the rule's public holidays from the
``holidays`` package with ``holiday_country`` / ``holiday_subdivision``, and the rule's
``closed_spans`` such as New Zealand's 25 December to 15 January).

Rules are dated. ``effective_from`` / ``effective_until`` bound a row; a ``Route`` sends the
residents of a country (and state or province) to a rule, optionally only for some
request types and within its own dates. ``rule_code_for`` picks the law in force where the
person lives on the day the request was received; anyone no route covers gets the
``house`` rule. Rows are never deleted: requests store their rule code, so a replaced rule
keeps its row with an ``effective_until``.

Our own promise can be stricter than the law: ``REQUESTS_RESPONSE_PROMISE_DAYS`` (see
``promise_for``) caps a rule's deadline; ``requests_app.deadlines`` applies it."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

MONTHS = "months"
DAYS = "days"
BUSINESS_DAYS = "business_days"
WORKING_DAYS = "working_days"
#: Units counted on the rule's calendar (weekends, holidays, closed spans skipped).
COUNTED_ON_CALENDAR = frozenset({BUSINESS_DAYS, WORKING_DAYS})

CLOCK_RECEIPT = "receipt"
CLOCK_VERIFICATION = "verification"

#: The date this table was last read against the statutes (see ``checked_on``).
CHECKED_2026_11_30 = dt.date(2026, 11, 30)


@dataclass(frozen=True)
class Period:
    unit: str  # MONTHS, DAYS, BUSINESS_DAYS or WORKING_DAYS
    length: int

    def __str__(self) -> str:
        unit = {
            MONTHS: "month",
            DAYS: "day",
            BUSINESS_DAYS: "business day",
            WORKING_DAYS: "working day",
        }[self.unit]
        return f"{self.length} {unit}{'' if self.length == 1 else 's'}"


@dataclass(frozen=True)
class Citations:
    """Which provision sets each number of the row ("" where the rule has no such
    number; "our policy" where the number is our own choice, not the law's)."""

    respond: str
    extension: str = ""
    acknowledge: str = ""
    appeal: str = ""
    free_requests: str = ""

    def items(self) -> list[tuple[str, str]]:
        labels = [
            ("Response period", self.respond),
            ("Extension", self.extension),
            ("Acknowledgement", self.acknowledge),
            ("Appeal period", self.appeal),
            ("Free requests", self.free_requests),
        ]
        return [(label, text) for label, text in labels if text]


@dataclass(frozen=True)
class Authority:
    """Who the person can complain to, named in denial and appeal-denial notices."""

    name: str
    url: str
    #: One sentence on how (shown in notices after the name and address).
    how: str = ""


@dataclass(frozen=True)
class Promise:
    """Our own promise for a rule: answer within ``days`` calendar days of the day the
    clock started; an extension may add at most ``extension_days`` after the original
    due date (``None``: the promise allows no extension)."""

    days: int
    extension_days: int | None = None

    def __str__(self) -> str:
        text = f"answer within {self.days} days"
        if self.extension_days is None:
            return text + "; no extension"
        return text + f"; extension of at most {self.extension_days} days"


@dataclass(frozen=True, kw_only=True)
class JurisdictionRule:
    code: str
    name: str
    #: The statute (or policy) as a whole; ``citations`` says which section sets which number.
    source: str
    citations: Citations
    effective_from: dt.date
    #: Last day the row applies (it was replaced); None: in force.
    effective_until: dt.date | None = None
    #: The day someone last read the row against the statute or the regulator's own
    #: summary; None: not yet checked (``source_note`` says what is missing).
    checked_on: dt.date | None = None
    #: What was (not) verified, and where the text was read.
    source_note: str = ""
    authority: Authority | None = None
    respond: Period
    #: None: the deadline cannot be extended.
    extension: Period | None
    extension_note: str
    #: None: no acknowledgement deadline of its own.
    acknowledge: Period | None = None
    clock_starts: str = CLOCK_RECEIPT  # CLOCK_RECEIPT or CLOCK_VERIFICATION
    needs_verification: bool = True
    #: Free access/know-type requests per rolling window; None: "unless manifestly
    #: unfounded or excessive" (staff judge, no count).
    free_requests: int | None
    free_requests_window_days: int = 365
    #: Count the free requests per calendar year instead of a rolling window (Shine the
    #: Light: "once during the course of any calendar year").
    free_requests_per_calendar_year: bool = False
    #: Request types the limit counts; None: ``LIMITED_REQUEST_TYPES`` (access / know /
    #: portability).
    limited_types: frozenset[str] | None = None
    limit_note: str
    #: How long we have to answer an appeal; None: no internal appeal under this rule.
    appeal_response: Period | None
    appeal_note: str
    fee_allowed: bool
    fee_note: str
    holiday_country: str
    holiday_subdivision: str | None = None
    #: ((month, day), (month, day)) spans that are never business/working days, e.g.
    #: New Zealand's 25 December to 15 January (inclusive, may wrap the year end).
    closed_spans: tuple[tuple[tuple[int, int], tuple[int, int]], ...] = ()

    def in_force_on(self, day: dt.date) -> bool:
        return self.effective_from <= day and (
            self.effective_until is None or day <= self.effective_until
        )

    def limit_counts(self, request_type: str) -> frozenset[str] | None:
        """The request types counted against this rule's free-request limit when a
        ``request_type`` request arrives; None when the limit does not apply to it."""
        types = self.limited_types if self.limited_types is not None else LIMITED_REQUEST_TYPES
        if self.free_requests is None or request_type not in types:
            return None
        return types

    @property
    def promise(self) -> Promise | None:
        """Our own promise for this rule (from settings), shown beside it in the admin."""
        return promise_for(self.code)


@dataclass(frozen=True)
class Route:
    """Residents of ``country`` (and ``state``: a US state or Canadian province; "" for
    the whole country) go to ``rule`` — for ``request_types`` only, when given — while
    both the route and the rule are in force."""

    country: str
    rule: str
    state: str = ""
    request_types: frozenset[str] | None = None
    effective_from: dt.date | None = None
    effective_until: dt.date | None = None

    def in_force_on(self, day: dt.date) -> bool:
        return (self.effective_from is None or self.effective_from <= day) and (
            self.effective_until is None or day <= self.effective_until
        )


# Request types that count towards the "free requests per period" limits.
LIMITED_REQUEST_TYPES = frozenset({"access", "know", "portability"})


def _us_state_law(
    *,
    code: str,
    name: str,
    state: str,
    source: str,
    citations: Citations,
    effective_from: dt.date,
    authority: Authority,
    free_requests: int,
    appeal_days: int | None = 60,
    respond_days: int = 45,
    appeal_note: str = "",
    limit_note: str = "",
    fee_note: str = "Only for manifestly unfounded, excessive or repetitive requests (the burden is ours).",
    checked_on: dt.date | None = None,
    source_note: str = "",
) -> JurisdictionRule:
    """A row of the common US state pattern (Virginia model): respond in 45 days, one
    extension of 45 days with notice and reason inside the first period, a free-request
    limit, an appeal answered in ``appeal_days`` and, if denied, the Attorney General's
    complaint contact. Each call below is one row with its own citations."""
    times = {1: "once", 2: "twice"}.get(free_requests, f"{free_requests} times")
    return JurisdictionRule(
        code=code,
        name=name,
        source=source,
        citations=citations,
        effective_from=effective_from,
        checked_on=checked_on,
        source_note=source_note,
        authority=authority,
        respond=Period(DAYS, respond_days),
        extension=Period(DAYS, 45),
        extension_note=(
            f"One extension of 45 days when reasonably necessary; tell the person within "
            f"the first {respond_days} days, with the reason."
        ),
        free_requests=free_requests,
        limit_note=limit_note or f"Free {times} in any 12 months.",
        appeal_response=Period(DAYS, appeal_days) if appeal_days else None,
        appeal_note=appeal_note
        or (
            f"Appeal answered within {appeal_days} days; if the appeal is denied, the person "
            f"may complain to the {authority.name}."
        ),
        fee_allowed=True,
        fee_note=fee_note,
        holiday_country="US",
        holiday_subdivision=state,
    )


_NOT_REREAD = (
    "Carried over from the design's starting table (DESIGN.md 'Deadlines'); the statute "
    "text was not in the stored material searched on 2026-11-30, so the row is not "
    "marked as checked."
)

RULES: dict[str, JurisdictionRule] = {
    rule.code: rule
    for rule in [
        JurisdictionRule(
            code="gdpr",
            name="EU / EEA — GDPR",
            source="Regulation (EU) 2016/679 (GDPR)",
            citations=Citations(
                respond="Art. 12(3) (one month)",
                extension="Art. 12(3) (two further months, notice with reasons in month one)",
                free_requests="Art. 12(5) (free unless manifestly unfounded or excessive)",
            ),
            effective_from=dt.date(2018, 5, 25),
            source_note=_NOT_REREAD
            + " Iceland, Liechtenstein and Norway are routed from 2018-07-20 (EEA Joint "
            "Committee decision 154/2018).",
            authority=Authority(
                name="data protection authority of the EEA country where you live (GDPR Art. 77)",
                url="https://www.edpb.europa.eu/about-edpb/about-edpb/members_en",
                how="The European Data Protection Board lists every authority and how to reach it.",
            ),
            respond=Period(MONTHS, 1),
            extension=Period(MONTHS, 2),
            extension_note="Up to two further months where necessary; tell the person within the first month, with the reasons.",
            free_requests=None,
            limit_note="Free unless manifestly unfounded or excessive (then a reasonable fee or refusal).",
            appeal_response=None,
            appeal_note="The person may complain to the supervisory authority of their country and seek a judicial remedy.",
            fee_allowed=True,
            fee_note="Only for manifestly unfounded or excessive requests, or further copies; send the estimate first.",
            holiday_country="DE",
        ),
        JurisdictionRule(
            code="uk_gdpr",
            name="United Kingdom — UK GDPR / DPA 2018",
            source="UK GDPR (retained Regulation (EU) 2016/679); Data Protection Act 2018",
            citations=Citations(
                respond="UK GDPR Art. 12(3) (one month; time starts at the latest of receipt, ID, fee — DPA 2018 s.54 pattern)",
                extension="UK GDPR Art. 12(3) (two further months, notice in month one)",
                free_requests="UK GDPR Art. 12(5)",
            ),
            effective_from=dt.date(2021, 1, 1),
            source_note=_NOT_REREAD
            + " Before 2021-01-01 UK residents are routed to 'gdpr'. The Data (Use and "
            "Access) Act 2025 amendments to the time limits (Art. 12A) were not verified.",
            authority=Authority(
                name="Information Commissioner's Office (ICO)",
                url="https://ico.org.uk/make-a-complaint/",
            ),
            respond=Period(MONTHS, 1),
            extension=Period(MONTHS, 2),
            extension_note="Up to two further months for complex or numerous requests; tell the person within the first month.",
            clock_starts=CLOCK_VERIFICATION,
            free_requests=None,
            limit_note="Free unless manifestly unfounded or excessive.",
            appeal_response=None,
            appeal_note="The person may complain to the Information Commissioner's Office (ico.org.uk).",
            fee_allowed=True,
            fee_note="Only for manifestly unfounded or excessive requests, or further copies; send the estimate first.",
            holiday_country="GB",
            holiday_subdivision="ENG",
        ),
        JurisdictionRule(
            code="ccpa",
            name="California — CCPA / CPRA",
            source="Cal. Civ. Code §1798.100 et seq. (CCPA as amended by the CPRA); 11 CCR §7000 et seq.",
            citations=Citations(
                respond="Civ. Code §1798.130(a)(2)(A); 11 CCR §7021(b) (45 days)",
                extension="Civ. Code §1798.130(a)(2)(A); 11 CCR §7021(b) (+45 days, notice in the first 45)",
                acknowledge="11 CCR §7021(a) (10 business days)",
                free_requests="Civ. Code §1798.130(b) (no more than twice in 12 months)",
            ),
            effective_from=dt.date(2020, 1, 1),
            source_note=_NOT_REREAD,
            authority=Authority(
                name="California Privacy Protection Agency",
                url="https://cppa.ca.gov/webapplications/complaint",
            ),
            respond=Period(DAYS, 45),
            extension=Period(DAYS, 45),
            extension_note="One extension of 45 days when reasonably necessary; notice with the reason within the first 45 days.",
            acknowledge=Period(BUSINESS_DAYS, 10),
            free_requests=2,
            limit_note="Access / right-to-know requests: not required to answer more than two in 12 months.",
            appeal_response=None,
            appeal_note="No appeal right under the CCPA; the person may contact the California Privacy Protection Agency.",
            fee_allowed=False,
            fee_note="No fee; a manifestly unfounded or excessive request may be refused with the reason.",
            holiday_country="US",
            holiday_subdivision="CA",
        ),
        JurisdictionRule(
            code="ccpa_opt_out",
            name="California — opt-out of sale / sharing, limit sensitive data",
            source="11 CCR §7026 (requests to opt out of sale/sharing); 11 CCR §7027 (requests "
            "to limit use and disclosure of sensitive personal information)",
            citations=Citations(
                respond="11 CCR §7026(f)(1) and §7027(g)(1) (as soon as feasibly possible, no "
                "later than 15 business days from receipt; §7026(d) and §7027(e): no verifiable "
                "consumer request may be required)"
            ),
            effective_from=dt.date(2020, 1, 1),
            checked_on=CHECKED_2026_11_30,
            source_note=(
                "Read 2026-11-30: §7026(a) on law.cornell.edu and casetext (register 2024 no. "
                "45); §7027(a)-(g) in the CPPA regulations deskbook (flipbuilder p. 88: (e) no "
                "verifiable consumer request, (f) fraud denial with an explanation, (g)(1) "
                "cease within 15 business days). §7026(d)-(f) were read through a secondary "
                "summary only (15 business days, no verification). Limit requests are routed "
                "here since 2023-03-29 (the CPRA regulations' effective date)."
            ),
            authority=Authority(
                name="California Privacy Protection Agency",
                url="https://cppa.ca.gov/webapplications/complaint",
            ),
            respond=Period(BUSINESS_DAYS, 15),
            extension=None,
            extension_note="No extension.",
            needs_verification=False,
            free_requests=None,
            limit_note="No limit.",
            appeal_response=None,
            appeal_note="No appeal right under the CCPA.",
            fee_allowed=False,
            fee_note="No fee.",
            holiday_country="US",
            holiday_subdivision="CA",
        ),
        _us_state_law(
            code="vcdpa",
            name="Virginia — VCDPA",
            state="VA",
            source="Va. Code §59.1-575 et seq. (Consumer Data Protection Act)",
            citations=Citations(
                respond="§59.1-577(B)(1)",
                extension="§59.1-577(B)(1)",
                appeal="§59.1-577(C)",
                free_requests="§59.1-577(B)(3) (twice annually)",
            ),
            effective_from=dt.date(2023, 1, 1),
            authority=Authority(
                name="Virginia Attorney General (Consumer Protection Section)",
                url="https://www.oag.state.va.us/consumer-protection/index.php/file-a-complaint",
            ),
            free_requests=2,
            limit_note="Free up to twice a year.",
            source_note=_NOT_REREAD,
        ),
        _us_state_law(
            code="ctdpa",
            name="Connecticut — CTDPA",
            state="CT",
            source="Conn. Gen. Stat. §42-515 et seq. (Data Privacy Act)",
            citations=Citations(
                respond="§42-520(c)(1)",
                extension="§42-520(c)(1)",
                appeal="§42-520(d)",
                free_requests="§42-520(c)(3) (once per 12 months)",
            ),
            effective_from=dt.date(2023, 7, 1),
            authority=Authority(
                name="Connecticut Attorney General",
                url="https://portal.ct.gov/ag/sections/privacy/the-connecticut-data-privacy-act",
            ),
            free_requests=1,
            limit_note="Free once a year.",
            source_note=_NOT_REREAD,
        ),
        _us_state_law(
            code="tdpsa",
            name="Texas — TDPSA",
            state="TX",
            source="Tex. Bus. & Com. Code ch. 541 (Data Privacy and Security Act)",
            citations=Citations(
                respond="§541.052(b)",
                extension="§541.052(b)",
                appeal="§541.053",
                free_requests="§541.052 (twice annually)",
            ),
            effective_from=dt.date(2024, 7, 1),
            authority=Authority(
                name="Texas Attorney General",
                url="https://www.texasattorneygeneral.gov/consumer-protection/file-consumer-complaint",
            ),
            free_requests=2,
            limit_note="Free up to twice a year.",
            source_note=_NOT_REREAD,
        ),
        _us_state_law(
            code="cpa",
            name="Colorado — CPA",
            state="CO",
            source="C.R.S. §6-1-1301 et seq. (Colorado Privacy Act)",
            citations=Citations(
                respond="§6-1-1306(2)(a)",
                extension="§6-1-1306(2)(a)",
                appeal="§6-1-1306(3) (45 days, extendable by 60)",
                free_requests="§6-1-1306(2)(c) (once per 12 months)",
            ),
            effective_from=dt.date(2023, 7, 1),
            authority=Authority(
                name="Colorado Attorney General", url="https://coag.gov/file-complaint/"
            ),
            free_requests=1,
            limit_note="Free once a year.",
            appeal_days=45,
            appeal_note="Appeal answered within 45 days (extendable by 60); if denied, the person may contact the Colorado Attorney General.",
            fee_note="A second request within 12 months may be charged.",
            source_note=_NOT_REREAD,
        ),
        _us_state_law(
            code="ucpa",
            name="Utah — UCPA",
            state="UT",
            source="Utah Code §13-61-101 et seq. (Consumer Privacy Act)",
            citations=Citations(
                respond="§13-61-203",
                extension="§13-61-203",
                free_requests="§13-61-203 (once per 12 months)",
            ),
            effective_from=dt.date(2023, 12, 31),
            authority=Authority(
                name="Utah Division of Consumer Protection",
                url="https://dcp.utah.gov/complaints/",
            ),
            free_requests=1,
            limit_note="Free once in 12 months.",
            appeal_days=None,
            appeal_note="No appeal right under the UCPA; the person may contact the Utah Division of Consumer Protection.",
            fee_note="A second request within 12 months, or an excessive one, may be charged.",
            source_note=_NOT_REREAD,
        ),
        _us_state_law(
            code="ocpa",
            name="Oregon — OCPA",
            state="OR",
            source="ORS 646A.570 to 646A.589 (Oregon Consumer Privacy Act)",
            citations=Citations(
                respond="ORS 646A.576(5)(a)",
                extension="ORS 646A.576(5)(a)",
                appeal="ORS 646A.576(6)(d) (45 days)",
                free_requests="ORS 646A.576(5)(c) (first request in 12 months)",
            ),
            effective_from=dt.date(2024, 7, 1),
            checked_on=CHECKED_2026_11_30,
            source_note=(
                "Read: ORS 646A.576(6) in the statute text and the Oregon DOJ's business "
                "privacy FAQ (45 + 45 days; first request in 12 months free)."
            ),
            authority=Authority(
                name="Oregon Department of Justice (Attorney General)",
                url="https://justice.oregon.gov/consumercomplaints/",
            ),
            free_requests=1,
            appeal_days=45,
        ),
        _us_state_law(
            code="mtcdpa",
            name="Montana — MCDPA",
            state="MT",
            source="Mont. Code Ann. §30-14-2801 et seq. (Consumer Data Privacy Act)",
            citations=Citations(
                respond="§30-14-2808(4)(a)",
                extension="§30-14-2808(4)(a)",
                appeal="§30-14-2808(5) (60 days)",
                free_requests="§30-14-2808(4)(c) (once in any 12 months)",
            ),
            effective_from=dt.date(2024, 10, 1),
            checked_on=CHECKED_2026_11_30,
            source_note=(
                "Read: §30-14-2808 as in force from 2024-10-01. The SB 297 amendments "
                "(in force 2025-10-01) were not read in full; summaries say they did not "
                "change these periods."
            ),
            authority=Authority(
                name="Montana Department of Justice, Office of Consumer Protection",
                url="https://dojmt.gov/consumer/",
            ),
            free_requests=1,
        ),
        _us_state_law(
            code="iacdpa",
            name="Iowa — ICDPA",
            state="IA",
            source="Iowa Code ch. 715D (Consumer Data Protection Act)",
            citations=Citations(
                respond="§715D.3(2) (90 days)",
                extension="§715D.3(2) (+45 days)",
                appeal="§715D.3(3) (60 days)",
                free_requests="§715D.3(2) (twice annually)",
            ),
            effective_from=dt.date(2025, 1, 1),
            source_note=(
                "Numbers from secondary summaries citing §715D.3 (90 + 45 days, twice "
                "annually); the statute text was not in the stored material — check it "
                "before relying on the subsection letters and the appeal period."
            ),
            authority=Authority(
                name="Iowa Attorney General (Consumer Protection Division)",
                url="https://www.iowaattorneygeneral.gov/for-consumers/file-a-consumer-complaint",
            ),
            free_requests=2,
            respond_days=90,
        ),
        _us_state_law(
            code="dpdpa",
            name="Delaware — DPDPA",
            state="DE",
            source="Del. Code tit. 6, ch. 12D (Personal Data Privacy Act)",
            citations=Citations(
                respond="§12D-104(c)(1)",
                extension="§12D-104(c)(1)",
                appeal="§12D-104(d) (60 days)",
                free_requests="§12D-104(c)(3) (once in any 12 months)",
            ),
            effective_from=dt.date(2025, 1, 1),
            checked_on=CHECKED_2026_11_30,
            source_note="Read: §12D-104(c) in the statute text. The appeal period (60 days) is from a secondary summary.",
            authority=Authority(
                name="Delaware Department of Justice, Consumer Protection Unit",
                url="https://attorneygeneral.delaware.gov/fraud/cpu/",
            ),
            free_requests=1,
        ),
        _us_state_law(
            code="ndpa",
            name="Nebraska — NDPA",
            state="NE",
            source="Neb. Rev. Stat. §87-1101 et seq. (Data Privacy Act)",
            citations=Citations(
                respond="§87-1108(2)",
                extension="§87-1108(2)",
                appeal="§87-1109 (60 days)",
                free_requests="§87-1108(4) (twice annually)",
            ),
            effective_from=dt.date(2025, 1, 1),
            checked_on=CHECKED_2026_11_30,
            source_note="Read: §87-1108 in the statute text. §87-1109 (appeal, 60 days) was not read.",
            authority=Authority(
                name="Nebraska Attorney General (Consumer Protection)",
                url="https://protectthegoodlife.nebraska.gov/",
            ),
            free_requests=2,
        ),
        _us_state_law(
            code="nhdpa",
            name="New Hampshire — NHDPA",
            state="NH",
            source="N.H. RSA ch. 507-H (Expectation of Privacy)",
            citations=Citations(
                respond="RSA 507-H:4",
                extension="RSA 507-H:4",
                appeal="RSA 507-H:4 (60 days)",
                free_requests="RSA 507-H:4 (once in any 12 months)",
            ),
            effective_from=dt.date(2025, 1, 1),
            checked_on=CHECKED_2026_11_30,
            source_note=(
                "Read: the New Hampshire DOJ Data Privacy Unit's page (free once in 12 "
                "months; complaints) and RSA 507-H:4 I-II. The 45 + 45 days and the 60-day "
                "appeal come from summaries; the paragraph numbers were not confirmed."
            ),
            authority=Authority(
                name="New Hampshire Department of Justice, Consumer Protection and Antitrust Bureau",
                url="https://www.doj.nh.gov/data-privacy-enforcement",
                how="E-mail DOJ-CPB@doj.nh.gov or use the Consumer Protection Complaint Form.",
            ),
            free_requests=1,
        ),
        _us_state_law(
            code="njdpa",
            name="New Jersey — NJDPA",
            state="NJ",
            source="N.J.S.A. 56:8-166.4 et seq. (P.L. 2023, c. 266)",
            citations=Citations(
                respond="N.J.S.A. 56:8-166.7(a)",
                extension="N.J.S.A. 56:8-166.7(a)",
                appeal="N.J.S.A. 56:8-166.7 (45 days)",
                free_requests="N.J.S.A. 56:8-166.7(d) (once in any 12 months)",
            ),
            effective_from=dt.date(2025, 1, 15),
            checked_on=CHECKED_2026_11_30,
            source_note="Read: 56:8-166.7(a), (c), (d) in the statute text. The 45-day appeal period is from a secondary summary.",
            authority=Authority(
                name="New Jersey Division of Consumer Affairs (Attorney General)",
                url="https://www.njconsumeraffairs.gov/Pages/Consumer-Complaints.aspx",
            ),
            free_requests=1,
            appeal_days=45,
        ),
        _us_state_law(
            code="tipa",
            name="Tennessee — TIPA",
            state="TN",
            source="Tenn. Code §47-18-3301 et seq. (Information Protection Act)",
            citations=Citations(
                respond="§47-18-3304(b)(1)",
                extension="§47-18-3304(b)(1)",
                appeal="§47-18-3304(c) (60 days)",
                free_requests="§47-18-3304(b)(3) (twice annually)",
            ),
            effective_from=dt.date(2025, 7, 1),
            checked_on=CHECKED_2026_11_30,
            source_note="Read: §47-18-3304(b)(1)-(2). The free-request limit and the appeal period were not in the excerpt read.",
            authority=Authority(
                name="Tennessee Attorney General, Division of Consumer Affairs",
                url="https://www.tn.gov/attorneygeneral/working-for-tennessee/consumer/file-a-complaint.html",
            ),
            free_requests=2,
        ),
        _us_state_law(
            code="mncdpa",
            name="Minnesota — MCDPA",
            state="MN",
            source="Minn. Stat. §325M.10 to 325M.21 (Consumer Data Privacy Act)",
            citations=Citations(
                respond="§325M.14",
                extension="§325M.14",
                appeal="§325M.14 (45 days, extendable by 60)",
                free_requests="§325M.14 (twice annually)",
            ),
            effective_from=dt.date(2025, 7, 31),
            source_note=(
                "Read: §325M.14 subd. 1 (rights) only; 45 days and twice-yearly free "
                "requests from the bill summaries; the appeal period from memory of the "
                "Colorado-style text — check the statute before relying on this row."
            ),
            authority=Authority(
                name="Minnesota Attorney General",
                url="https://www.ag.state.mn.us/Office/Complaint.asp",
            ),
            free_requests=2,
            appeal_days=45,
            appeal_note="Appeal answered within 45 days (extendable by 60); if denied, the person may complain to the Minnesota Attorney General.",
        ),
        _us_state_law(
            code="modpa",
            name="Maryland — MODPA",
            state="MD",
            source="Md. Code, Com. Law §14-4601 et seq. (Online Data Privacy Act)",
            citations=Citations(
                respond="§14-4605",
                extension="§14-4605",
                appeal="§14-4605 (60 days)",
                free_requests="§14-4605 (once in any 12 months)",
            ),
            effective_from=dt.date(2025, 10, 1),
            source_note=(
                "Read: §14-4605(a)-(d) (rights) only; the periods and free-request limit "
                "follow the Connecticut text the Act copies, per summaries — not verified."
            ),
            authority=Authority(
                name="Maryland Attorney General, Consumer Protection Division",
                url="https://www.marylandattorneygeneral.gov/Pages/CPD/default.aspx",
            ),
            free_requests=1,
        ),
        _us_state_law(
            code="incdpa",
            name="Indiana — INCDPA",
            state="IN",
            source="Ind. Code art. 24-15 (Consumer Data Protection)",
            citations=Citations(
                respond="IC 24-15-3-1(c)(1)",
                extension="IC 24-15-3-1(c)(1)",
                appeal="IC 24-15-3-1(d) (60 days)",
                free_requests="IC 24-15-3-1(c)(3) (once annually)",
            ),
            effective_from=dt.date(2026, 1, 1),
            checked_on=CHECKED_2026_11_30,
            source_note="Read: IC 24-15-3-1(c) in the statute text. Subsection (d) (appeal, 60 days) was not read.",
            authority=Authority(
                name="Indiana Attorney General, Consumer Protection Division",
                url="https://www.in.gov/attorneygeneral/consumer-protection-division/",
            ),
            free_requests=1,
        ),
        _us_state_law(
            code="kcdpa",
            name="Kentucky — KCDPA",
            state="KY",
            source="KRS 367.3611 to 367.3629 (Consumer Data Protection Act)",
            citations=Citations(
                respond="KRS 367.3615(3)",
                extension="KRS 367.3615(3)",
                appeal="KRS 367.3615(4) (60 days)",
                free_requests="KRS 367.3615(3) (once annually)",
            ),
            effective_from=dt.date(2026, 1, 1),
            source_note=(
                "Read: KRS 367.3615(1)-(2) (rights) only; 45 days and the appeal to the "
                "Attorney General from summaries; the free-request limit and the appeal "
                "period were not verified."
            ),
            authority=Authority(
                name="Kentucky Attorney General, Office of Consumer Protection",
                url="https://www.ag.ky.gov/",
            ),
            free_requests=1,
        ),
        _us_state_law(
            code="ridtppa",
            name="Rhode Island — RIDTPPA",
            state="RI",
            source="R.I. Gen. Laws ch. 6-48.1 (Data Transparency and Privacy Protection Act)",
            citations=Citations(
                respond="§6-48.1-6(b)(1)",
                extension="§6-48.1-6(b)(1)",
                appeal="§6-48.1-6 (60 days)",
                free_requests="§6-48.1-6(b)(3) (once in any 12 months)",
            ),
            effective_from=dt.date(2026, 1, 1),
            checked_on=CHECKED_2026_11_30,
            source_note="Read: §6-48.1-6(b)(1)-(3) in the statute text. The 60-day appeal period is from a secondary summary.",
            authority=Authority(
                name="Rhode Island Attorney General, Consumer Protection Unit",
                url="https://riag.ri.gov/",
            ),
            free_requests=1,
        ),
        JurisdictionRule(
            code="pipeda",
            name="Canada — PIPEDA",
            source="Personal Information Protection and Electronic Documents Act, S.C. 2000, c. 5, Part 1",
            citations=Citations(
                respond="s.8(3) (30 days)",
                extension="s.8(4)(a) (at most 30 more days; notice within the first 30 days)",
                free_requests="s.8(6) and Sch. 1 cl. 4.9.4 (minimal or no cost; approximate cost first)",
            ),
            effective_from=dt.date(2004, 1, 1),
            checked_on=CHECKED_2026_11_30,
            source_note=(
                "Read: s.8(3)-(7) in the statute text. Alberta and British Columbia have "
                "their own private-sector acts for activity inside those provinces; our "
                "processing is cross-border, so PIPEDA applies there (see docs/law.md)."
            ),
            authority=Authority(
                name="Office of the Privacy Commissioner of Canada",
                url="https://www.priv.gc.ca/en/report-a-concern/",
            ),
            respond=Period(DAYS, 30),
            extension=Period(DAYS, 30),
            extension_note="Up to 30 more days if meeting the limit would unreasonably interfere with our activities or consultations are needed; send the notice (new limit, reasons, right to complain to the Commissioner) within the first 30 days.",
            free_requests=None,
            limit_note="At minimal or no cost.",
            appeal_response=None,
            appeal_note="The person may complain to the Privacy Commissioner of Canada (PIPEDA s.11).",
            fee_allowed=True,
            fee_note="Only at minimal cost, after telling the person the approximate cost (s.8(6)).",
            holiday_country="CA",
        ),
        JurisdictionRule(
            code="quebec",
            name="Québec — Private Sector Act (Law 25)",
            source="Act respecting the protection of personal information in the private sector, CQLR c. P-39.1 (as amended by Law 25, 2021, c. 25)",
            citations=Citations(
                respond="s.32 (no later than 30 days after receipt)",
                free_requests="s.33 (free; a reasonable charge for transcription or transmission only)",
            ),
            effective_from=dt.date(1994, 1, 1),
            source_note=(
                "The stored copy of P-39.1 read on 2026-11-30 stopped before s.32; the "
                "30 days (no extension) are not re-verified here. Complaints: Commission "
                "d'accès à l'information (s.42)."
            ),
            authority=Authority(
                name="Commission d'accès à l'information du Québec",
                url="https://www.cai.gouv.qc.ca/",
            ),
            respond=Period(DAYS, 30),
            extension=None,
            extension_note="No extension: a request not answered within 30 days is deemed refused.",
            free_requests=None,
            limit_note="Free; a reasonable charge only for transcribing, reproducing or transmitting.",
            appeal_response=None,
            appeal_note="The person may apply to the Commission d'accès à l'information.",
            fee_allowed=True,
            fee_note="Only a reasonable charge for transcription, reproduction or transmission; tell the person first.",
            holiday_country="CA",
            holiday_subdivision="QC",
        ),
        JurisdictionRule(
            code="lgpd",
            name="Brazil — LGPD",
            source="Lei nº 13.709/2018 (Lei Geral de Proteção de Dados Pessoais)",
            citations=Citations(
                respond="Art. 19, II (complete declaration within 15 days of the request)",
                free_requests="Art. 18, §5 (at no cost to the data subject)",
            ),
            effective_from=dt.date(2020, 9, 18),
            checked_on=CHECKED_2026_11_30,
            source_note=(
                "Read: Art. 19 in the statute text. The Act gives no extension; ANPD may "
                "set other periods per sector (Art. 19, §4) — none applies to us. Counted "
                "in calendar days (the earlier, safe reading)."
            ),
            authority=Authority(
                name="Autoridade Nacional de Proteção de Dados (ANPD)",
                url="https://www.gov.br/anpd/pt-br",
                how="A petition to the ANPD (LGPD Art. 18, §1).",
            ),
            respond=Period(DAYS, 15),
            extension=None,
            extension_note="No extension.",
            free_requests=None,
            limit_note="Free (Art. 18, §5).",
            appeal_response=None,
            appeal_note="The person may petition the ANPD.",
            fee_allowed=False,
            fee_note="No fee.",
            holiday_country="BR",
        ),
        JurisdictionRule(
            code="nz_privacy",
            name="New Zealand — Privacy Act 2020",
            source="Privacy Act 2020 (NZ), Part 4",
            citations=Citations(
                respond="s.44 (as soon as reasonably practicable, at most 20 working days); 'working day' s.7",
                extension="s.48 (a reasonable period, notice within the 20 working days; we allow at most 20 more working days — our policy)",
                free_requests="s.66 (private agencies may charge for making information available)",
            ),
            effective_from=dt.date(2020, 12, 1),
            checked_on=CHECKED_2026_11_30,
            source_note=(
                "Read: s.48 and the Privacy Commissioner's 'Timeframe for answering "
                "requests' (20 working days; working day excludes weekends, Waitangi Day, "
                "Good Friday, Easter Monday, Anzac Day, the Sovereign's birthday, Labour Day "
                "and 25 December-15 January). Matariki (since 2022) and Mondayised days come "
                "from the holidays package."
            ),
            authority=Authority(
                name="Office of the Privacy Commissioner (New Zealand)",
                url="https://www.privacy.org.nz/your-rights/making-a-complaint/",
            ),
            respond=Period(WORKING_DAYS, 20),
            extension=Period(WORKING_DAYS, 20),
            extension_note="A reasonable extension for large, consultation-heavy or complex requests; notice (period, reasons, right to complain to the Commissioner) within the first 20 working days. We allow ourselves at most 20 more working days.",
            free_requests=None,
            limit_note="No count; requests may be refused only on the Act's grounds.",
            appeal_response=None,
            appeal_note="The person may complain to the Privacy Commissioner.",
            fee_allowed=True,
            fee_note="A reasonable charge for making information available (s.66); tell the person first.",
            holiday_country="NZ",
            closed_spans=(((12, 25), (1, 15)),),
        ),
        JurisdictionRule(
            code="ch_fadp_1992",
            name="Switzerland — FADP 1992 (replaced)",
            source="Federal Act on Data Protection of 19 June 1992; Ordinance (VDSG/OLPD) of 14 June 1993",
            citations=Citations(
                respond="VDSG Art. 1(4) (30 days)",
                extension="VDSG Art. 1(4) (tell the person the date by which it will come)",
                free_requests="VDSG Art. 2 (free; at most CHF 300 in the listed cases)",
            ),
            effective_from=dt.date(1993, 7, 1),
            effective_until=dt.date(2023, 8, 31),
            checked_on=CHECKED_2026_11_30,
            source_note="Read: VDSG Art. 1(4) and Art. 2. Replaced by the revised FADP on 2023-09-01.",
            authority=Authority(
                name="Federal Data Protection and Information Commissioner (FDPIC)",
                url="https://www.edoeb.admin.ch/",
            ),
            respond=Period(DAYS, 30),
            extension=Period(DAYS, 30),
            extension_note="If the answer cannot come within 30 days, tell the person so and by when; we allow ourselves at most 30 more days.",
            free_requests=None,
            limit_note="Free; a share of costs (CHF 300 at most) only in the Ordinance's cases.",
            appeal_response=None,
            appeal_note="The person may turn to the FDPIC or the civil courts.",
            fee_allowed=True,
            fee_note="At most CHF 300, only in the Ordinance's cases; tell the person first (they may withdraw within 10 days).",
            holiday_country="CH",
        ),
        JurisdictionRule(
            code="ch_fadp",
            name="Switzerland — revised FADP",
            source="Federal Act on Data Protection of 25 September 2020 (FADP/DSG); Data Protection Ordinance (DPO/DSV)",
            citations=Citations(
                respond="FADP Art. 25(7); DPO Art. 18(1) (30 days)",
                extension="DPO Art. 18(2) (tell the person within the 30 days, and by when)",
                free_requests="FADP Art. 25(6); DPO Art. 19 (free; at most CHF 300 where disproportionate)",
            ),
            effective_from=dt.date(2023, 9, 1),
            checked_on=CHECKED_2026_11_30,
            source_note="Read: FADP Art. 25 and DSV Art. 18 in the statute text.",
            authority=Authority(
                name="Federal Data Protection and Information Commissioner (FDPIC)",
                url="https://www.edoeb.admin.ch/",
            ),
            respond=Period(DAYS, 30),
            extension=Period(DAYS, 30),
            extension_note="If the answer cannot come within 30 days, tell the person within them and say by when; we allow ourselves at most 30 more days.",
            free_requests=None,
            limit_note="Free; a share of costs (CHF 300 at most) only where the effort is disproportionate.",
            appeal_response=None,
            appeal_note="The person may report to the FDPIC or go to the civil courts.",
            fee_allowed=True,
            fee_note="At most CHF 300 where the effort is disproportionate; tell the person first.",
            holiday_country="CH",
        ),
        JurisdictionRule(
            code="au_privacy",
            name="Australia — Privacy Act 1988 (APP 12)",
            source="Privacy Act 1988 (Cth), Schedule 1, Australian Privacy Principle 12",
            citations=Citations(
                respond="APP 12.4(a)(ii) ('a reasonable period'; OAIC guidelines: usually within 30 calendar days)",
                free_requests="APP 12.7-12.8 (no charge for the request; access charges not excessive)",
            ),
            effective_from=dt.date(2014, 3, 12),
            source_note=(
                "The OAIC's APP 12 guidelines were found but the passage on the 30-day "
                "'reasonable period' was read only in a secondary summary; not marked as "
                "checked."
            ),
            authority=Authority(
                name="Office of the Australian Information Commissioner (OAIC)",
                url="https://www.oaic.gov.au/privacy/privacy-complaints",
            ),
            respond=Period(DAYS, 30),
            extension=None,
            extension_note="No extension: APP 12 sets a reasonable period, which we read as 30 days at most.",
            free_requests=None,
            limit_note="No count.",
            appeal_response=None,
            appeal_note="The person may complain to the OAIC.",
            fee_allowed=True,
            fee_note="No charge for making the request; any access charge must not be excessive.",
            holiday_country="AU",
        ),
        JurisdictionRule(
            code="appi",
            name="Japan — APPI",
            source="Act on the Protection of Personal Information (Act No. 57 of 2003, as amended 2020/2022)",
            citations=Citations(
                respond="Art. 33(2) ('without delay'; 30 days is our policy bound)",
            ),
            effective_from=dt.date(2022, 4, 1),
            source_note=(
                "The Act sets no number ('without delay'); 30 days is our house bound. The "
                "statute text was not in the stored material searched; not marked as checked."
            ),
            authority=Authority(
                name="Personal Information Protection Commission (PPC)",
                url="https://www.ppc.go.jp/en/",
            ),
            respond=Period(DAYS, 30),
            extension=None,
            extension_note="No extension: the Act requires an answer without delay.",
            free_requests=None,
            limit_note="No count.",
            appeal_response=None,
            appeal_note="The person may consult the Personal Information Protection Commission.",
            fee_allowed=True,
            fee_note="A reasonable fee for disclosure may be set in advance (Art. 38).",
            holiday_country="JP",
        ),
        JurisdictionRule(
            code="popia",
            name="South Africa — POPIA / PAIA",
            source="Protection of Personal Information Act 4 of 2013, s.23; Promotion of Access to Information Act 2 of 2000, ss.56-57",
            citations=Citations(
                respond="PAIA s.56(1) via POPIA s.23(3) (30 days)",
                extension="PAIA s.57 (once, at most 30 days, notice within the first 30)",
            ),
            effective_from=dt.date(2021, 7, 1),
            source_note="The statute text was not in the stored material searched; not marked as checked.",
            authority=Authority(
                name="Information Regulator (South Africa)",
                url="https://inforegulator.org.za/",
            ),
            respond=Period(DAYS, 30),
            extension=Period(DAYS, 30),
            extension_note="Once, by at most 30 days; notice with reasons within the first 30 days.",
            free_requests=None,
            limit_note="No count.",
            appeal_response=None,
            appeal_note="The person may complain to the Information Regulator.",
            fee_allowed=True,
            fee_note="Only the prescribed fees; tell the person first.",
            holiday_country="ZA",
        ),
        JurisdictionRule(
            code="lfpdppp",
            name="Mexico — LFPDPPP (2025)",
            source="Ley Federal de Protección de Datos Personales en Posesión de los Particulares (DOF 20-03-2025)",
            citations=Citations(
                respond="ARCO answer within 20 days of receipt (as in Art. 32 of the 2010 Act)",
                extension="extendable once by an equal period",
            ),
            effective_from=dt.date(2025, 3, 21),
            source_note=(
                "The 2025 Act's text was not in the stored material; the 20 days (+20 once) "
                "follow the 2010 Act and are counted in calendar days (earlier than "
                "business days, so safe). Not marked as checked."
            ),
            authority=Authority(
                name="Secretaría Anticorrupción y Buen Gobierno (data protection authority since 2025)",
                url="https://www.gob.mx/buengobierno",
            ),
            respond=Period(DAYS, 20),
            extension=Period(DAYS, 20),
            extension_note="Once, by an equal period, when justified; tell the person within the first 20 days.",
            free_requests=None,
            limit_note="Free; only shipping or copying costs may be charged.",
            appeal_response=None,
            appeal_note="The person may start a rights-protection procedure before the authority.",
            fee_allowed=True,
            fee_note="Only shipping or reproduction costs.",
            holiday_country="MX",
        ),
        JurisdictionRule(
            code="ca_shine_the_light",
            name="California — 'Shine the Light' (Civ. Code §1798.83)",
            source="Cal. Civ. Code §1798.83 (disclosures to third parties for their direct "
            "marketing purposes)",
            citations=Citations(
                respond="Civ. Code §1798.83(b) (30 days from a request received at a "
                "designated address; up to 150 days when received elsewhere)",
                free_requests="Civ. Code §1798.83 (need not answer the same customer more than "
                "once in a calendar year)",
            ),
            effective_from=dt.date(2005, 1, 1),
            source_note=(
                "The statute text was not in the stored material searched on 2026-11-30. Read: "
                "Privacy Rights Clearinghouse, 'California's Shine the Light law goes into "
                "effect Jan. 1, 2005' (who must comply, what to disclose), legalclarity.org's "
                "summary and the itlaw wiki entry. The 30-day period and the once-a-year limit "
                "are from those summaries and the project's earlier reading; confirm the "
                "subsection letters against leginfo.legislature.ca.gov before relying on them."
            ),
            authority=Authority(
                name="California Attorney General (Privacy Enforcement and Protection Unit)",
                url="https://oag.ca.gov/contact/consumer-complaint-against-business-or-company",
            ),
            respond=Period(DAYS, 30),
            extension=None,
            extension_note="No extension.",
            needs_verification=False,
            free_requests=1,
            free_requests_per_calendar_year=True,
            limited_types=frozenset({"shine_the_light"}),
            limit_note="One answer per customer per calendar year.",
            appeal_response=None,
            appeal_note="No appeal right under §1798.83; a customer may bring a civil action.",
            fee_allowed=False,
            fee_note="Free of charge.",
            holiday_country="US",
            holiday_subdivision="CA",
        ),
        JurisdictionRule(
            code="house",
            name="Everyone else — house rule",
            source="Our privacy policy",
            citations=Citations(
                respond="our policy (30 days)",
                extension="our policy (+30 with notice)",
                acknowledge="our policy (10 business days)",
                appeal="our policy (internal review in 30 days)",
                free_requests="our policy (free unless excessive)",
            ),
            effective_from=dt.date.min,
            source_note="Our own promise, not a statute; it also applies before a state's or country's law takes effect.",
            respond=Period(DAYS, 30),
            extension=Period(DAYS, 30),
            extension_note="One extension of 30 days; tell the person before the first 30 days end.",
            acknowledge=Period(BUSINESS_DAYS, 10),
            free_requests=None,
            limit_note="Free unless excessive.",
            appeal_response=Period(DAYS, 30),
            appeal_note="Ask for an internal review; a privacy officer not involved in the first answer reviews it within 30 days.",
            fee_allowed=True,
            fee_note="Only for excessive requests; send the estimate first.",
            holiday_country="US",
        ),
    ]
}

RULE_CHOICES = [(code, rule.name) for code, rule in RULES.items()]
HOUSE_RULE = "house"

# EU member states (GDPR applies from 2018-05-25) and the EEA EFTA states (from 2018-07-20).
EU_COUNTRIES = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "HR",
        "CY",
        "CZ",
        "DK",
        "EE",
        "FI",
        "FR",
        "DE",
        "GR",
        "HU",
        "IE",
        "IT",
        "LV",
        "LT",
        "LU",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SK",
        "SI",
        "ES",
        "SE",
    ]
)
EEA_EFTA_COUNTRIES = frozenset({"IS", "LI", "NO"})
EEA_COUNTRIES = EU_COUNTRIES | EEA_EFTA_COUNTRIES

#: Where people live -> which rule. Data, read by ``rule_code_for``; order does not
#: matter (the most specific route in force wins: state over country, a route for the
#: request type over a general one).
ROUTES: tuple[Route, ...] = (
    *(Route(country, "gdpr") for country in sorted(EU_COUNTRIES)),
    *(
        Route(country, "gdpr", effective_from=dt.date(2018, 7, 20))
        for country in sorted(EEA_EFTA_COUNTRIES)
    ),
    # The EU GDPR applied in the UK until the end of the transition period.
    Route("GB", "gdpr", effective_until=dt.date(2020, 12, 31)),
    Route("GB", "uk_gdpr"),
    Route("US", "ccpa_opt_out", state="CA", request_types=frozenset({"opt_out_sale"})),
    # Requests to limit sensitive data: CPRA regulations in force from 2023-03-29.
    Route(
        "US",
        "ccpa_opt_out",
        state="CA",
        request_types=frozenset({"limit_sensitive"}),
        effective_from=dt.date(2023, 3, 29),
    ),
    Route("US", "ca_shine_the_light", state="CA", request_types=frozenset({"shine_the_light"})),
    Route("US", "ccpa", state="CA"),
    Route("US", "vcdpa", state="VA"),
    Route("US", "ctdpa", state="CT"),
    Route("US", "tdpsa", state="TX"),
    Route("US", "cpa", state="CO"),
    Route("US", "ucpa", state="UT"),
    Route("US", "ocpa", state="OR"),
    Route("US", "mtcdpa", state="MT"),
    Route("US", "iacdpa", state="IA"),
    Route("US", "dpdpa", state="DE"),
    Route("US", "ndpa", state="NE"),
    Route("US", "nhdpa", state="NH"),
    Route("US", "njdpa", state="NJ"),
    Route("US", "tipa", state="TN"),
    Route("US", "mncdpa", state="MN"),
    Route("US", "modpa", state="MD"),
    Route("US", "incdpa", state="IN"),
    Route("US", "kcdpa", state="KY"),
    Route("US", "ridtppa", state="RI"),
    Route("CA", "quebec", state="QC"),
    Route("CA", "pipeda"),
    Route("BR", "lgpd"),
    Route("NZ", "nz_privacy"),
    Route("CH", "ch_fadp_1992"),
    Route("CH", "ch_fadp"),
    Route("AU", "au_privacy"),
    Route("JP", "appi"),
    Route("ZA", "popia"),
    Route("MX", "lfpdppp"),
)

#: Countries whose residents also give a state or province (the form asks for it).
SUBDIVISION_COUNTRIES = frozenset({"US", "CA"})

#: US states routed to their own law (on some date); kept for callers that list them.
US_STATE_RULES = {
    route.state: route.rule for route in ROUTES if route.country == "US" and not route.request_types
}


def get_rule(code: str) -> JurisdictionRule:
    try:
        return RULES[code]
    except KeyError:
        raise ValueError(f"Unknown jurisdiction rule {code!r}.") from None


def rule_code_for(
    *, country: str, state: str = "", request_type: str = "", received_on: dt.date
) -> str:
    """The rule of the law in force where the person lives (``country`` and, for the US
    and Canada, ``state``) on ``received_on``; the house rule where none is."""
    country = (country or "").strip().upper()
    state = (state or "").strip().upper()
    best: tuple[int, int] | None = None
    chosen = HOUSE_RULE
    for route in ROUTES:
        if route.country != country or (route.state and route.state != state):
            continue
        if route.request_types is not None and request_type not in route.request_types:
            continue
        if not (route.in_force_on(received_on) and get_rule(route.rule).in_force_on(received_on)):
            continue
        rank = (bool(route.state), route.request_types is not None)
        if best is None or rank > best:
            best, chosen = rank, route.rule
    return chosen


# --- Our own promise ---------------------------------------------------------------

_PROMISE_ITEM = re.compile(r"^(?P<code>[a-z0-9_]+)=(?P<days>\d+)(?:\+(?P<ext>\d+))?$")


@lru_cache(maxsize=16)
def parse_promises(raw: str) -> dict[str, Promise]:
    """``"gdpr=30,uk_gdpr=30+30"`` -> promises per rule code. ``code=N``: answer within N
    days, no extension beyond it; ``code=N+M``: an extension may add at most M days after
    the original due date. Raises ``ImproperlyConfigured`` on anything else."""
    promises: dict[str, Promise] = {}
    for item in (part.strip() for part in (raw or "").split(",")):
        if not item:
            continue
        match = _PROMISE_ITEM.match(item)
        if match is None:
            raise ImproperlyConfigured(
                f"REQUESTS_RESPONSE_PROMISE_DAYS: {item!r} is not 'rule=days' or 'rule=days+extension_days'."
            )
        code = match["code"]
        if code not in RULES:
            raise ImproperlyConfigured(
                f"REQUESTS_RESPONSE_PROMISE_DAYS: {code!r} is not a rule code ({', '.join(RULES)})."
            )
        days = int(match["days"])
        if days < 1:
            raise ImproperlyConfigured(
                f"REQUESTS_RESPONSE_PROMISE_DAYS: {code} needs at least 1 day."
            )
        if code in promises:
            raise ImproperlyConfigured(f"REQUESTS_RESPONSE_PROMISE_DAYS: {code} is given twice.")
        extension = int(match["ext"]) if match["ext"] is not None else None
        if extension == 0:
            raise ImproperlyConfigured(
                f"REQUESTS_RESPONSE_PROMISE_DAYS: write '{code}={days}' for a promise without extension."
            )
        promises[code] = Promise(days=days, extension_days=extension)
    return promises


def promise_for(code: str) -> Promise | None:
    """Our promise for rule ``code`` (``REQUESTS_RESPONSE_PROMISE_DAYS``), if any."""
    return parse_promises(getattr(settings, "REQUESTS_RESPONSE_PROMISE_DAYS", "")).get(code)
