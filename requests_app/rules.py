"""The jurisdiction rule table: how long we have to answer a privacy request, how the
deadline may be extended, when receipt must be acknowledged, limits, appeals and fees.

This module is the single source of the table. It is data, not code branches: a lawyer
can correct a row (and its ``source``) without touching the workflow. Staff read it in
the admin (Privacy requests → "Jurisdiction rules"), which renders this table directly,
so what staff read is always what the workflow applies.

Periods: ``("months", n)``, ``("days", n)`` (calendar days) or ``("business_days", n)``
(skipping weekends and the rule's public holidays, from the ``holidays`` package with
``holiday_country`` / ``holiday_subdivision``)."""

from __future__ import annotations

from dataclasses import dataclass

MONTHS = "months"
DAYS = "days"
BUSINESS_DAYS = "business_days"

CLOCK_RECEIPT = "receipt"
CLOCK_VERIFICATION = "verification"


@dataclass(frozen=True)
class Period:
    unit: str  # MONTHS, DAYS or BUSINESS_DAYS
    length: int

    def __str__(self) -> str:
        unit = {MONTHS: "month", DAYS: "day", BUSINESS_DAYS: "business day"}[self.unit]
        return f"{self.length} {unit}{'' if self.length == 1 else 's'}"


@dataclass(frozen=True)
class JurisdictionRule:
    code: str
    name: str
    source: str
    respond: Period
    #: None: the deadline cannot be extended.
    extension: Period | None
    extension_note: str
    #: None: no acknowledgement deadline of its own.
    acknowledge: Period | None
    clock_starts: str  # CLOCK_RECEIPT or CLOCK_VERIFICATION
    needs_verification: bool
    #: Free access/know-type requests per rolling window; None: "unless manifestly
    #: unfounded or excessive" (staff judge, no count).
    free_requests: int | None
    free_requests_window_days: int
    limit_note: str
    #: How long we have to answer an appeal; None: no internal appeal under this rule.
    appeal_response: Period | None
    appeal_note: str
    fee_allowed: bool
    fee_note: str
    holiday_country: str
    holiday_subdivision: str | None = None


# Request types that count towards the "free requests per period" limits.
LIMITED_REQUEST_TYPES = frozenset({"access", "know", "portability"})

RULES: dict[str, JurisdictionRule] = {
    rule.code: rule
    for rule in [
        JurisdictionRule(
            code="gdpr",
            name="EU / EEA — GDPR",
            source="GDPR Art. 12(3) (deadline, extension), Art. 12(5) (fees, excessive requests), Art. 77 (complaint)",
            respond=Period(MONTHS, 1),
            extension=Period(MONTHS, 2),
            extension_note="Up to two further months where necessary; tell the person within the first month, with the reasons.",
            acknowledge=None,
            clock_starts=CLOCK_RECEIPT,
            needs_verification=True,
            free_requests=None,
            free_requests_window_days=365,
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
            source="UK GDPR Art. 12(3); DPA 2018 s.54 pattern (time starts at the latest of receipt, ID, fee; paused while clarifying)",
            respond=Period(MONTHS, 1),
            extension=Period(MONTHS, 2),
            extension_note="Up to two further months for complex or numerous requests; tell the person within the first month.",
            acknowledge=None,
            clock_starts=CLOCK_VERIFICATION,
            needs_verification=True,
            free_requests=None,
            free_requests_window_days=365,
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
            source="Cal. Civ. Code §1798.130(a)(2); 11 CCR §7021 (10 business days to confirm, 45 days to respond, +45), §7101 (records kept 24 months)",
            respond=Period(DAYS, 45),
            extension=Period(DAYS, 45),
            extension_note="One extension of 45 days when reasonably necessary; notice with the reason within the first 45 days.",
            acknowledge=Period(BUSINESS_DAYS, 10),
            clock_starts=CLOCK_RECEIPT,
            needs_verification=True,
            free_requests=2,
            free_requests_window_days=365,
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
            name="California — opt-out of sale / sharing",
            source="11 CCR §7026(f) (act within 15 business days; no verification of opt-out requests)",
            respond=Period(BUSINESS_DAYS, 15),
            extension=None,
            extension_note="No extension.",
            acknowledge=None,
            clock_starts=CLOCK_RECEIPT,
            needs_verification=False,
            free_requests=None,
            free_requests_window_days=365,
            limit_note="No limit.",
            appeal_response=None,
            appeal_note="No appeal right under the CCPA.",
            fee_allowed=False,
            fee_note="No fee.",
            holiday_country="US",
            holiday_subdivision="CA",
        ),
        JurisdictionRule(
            code="vcdpa",
            name="Virginia — VCDPA",
            source="Va. Code §59.1-577(B) (45 days, +45 once), §59.1-577(C) (appeal answered within 60 days)",
            respond=Period(DAYS, 45),
            extension=Period(DAYS, 45),
            extension_note="One extension of 45 days when reasonably necessary; tell the person within the first 45 days, with the reason.",
            acknowledge=None,
            clock_starts=CLOCK_RECEIPT,
            needs_verification=True,
            free_requests=2,
            free_requests_window_days=365,
            limit_note="Free up to twice a year.",
            appeal_response=Period(DAYS, 60),
            appeal_note="Appeal answered within 60 days; if denied, the person may contact the Virginia Attorney General.",
            fee_allowed=True,
            fee_note="Only for manifestly unfounded, excessive or repetitive requests.",
            holiday_country="US",
            holiday_subdivision="VA",
        ),
        JurisdictionRule(
            code="ctdpa",
            name="Connecticut — CTDPA",
            source="Conn. Gen. Stat. §42-520(c) (45 days, +45 once; appeal answered within 60 days)",
            respond=Period(DAYS, 45),
            extension=Period(DAYS, 45),
            extension_note="One extension of 45 days when reasonably necessary; tell the person within the first 45 days.",
            acknowledge=None,
            clock_starts=CLOCK_RECEIPT,
            needs_verification=True,
            free_requests=1,
            free_requests_window_days=365,
            limit_note="Free once a year.",
            appeal_response=Period(DAYS, 60),
            appeal_note="Appeal answered within 60 days; if denied, the person may contact the Connecticut Attorney General.",
            fee_allowed=True,
            fee_note="Only for manifestly unfounded, excessive or repetitive requests.",
            holiday_country="US",
            holiday_subdivision="CT",
        ),
        JurisdictionRule(
            code="tdpsa",
            name="Texas — TDPSA",
            source="Tex. Bus. & Com. Code §541.052 (45 days, +45 once), §541.053 (appeal answered within 60 days)",
            respond=Period(DAYS, 45),
            extension=Period(DAYS, 45),
            extension_note="One extension of 45 days when reasonably necessary; tell the person within the first 45 days.",
            acknowledge=None,
            clock_starts=CLOCK_RECEIPT,
            needs_verification=True,
            free_requests=2,
            free_requests_window_days=365,
            limit_note="Free up to twice a year.",
            appeal_response=Period(DAYS, 60),
            appeal_note="Appeal answered within 60 days; if denied, the person may contact the Texas Attorney General.",
            fee_allowed=True,
            fee_note="Only for manifestly unfounded, excessive or repetitive requests.",
            holiday_country="US",
            holiday_subdivision="TX",
        ),
        JurisdictionRule(
            code="cpa",
            name="Colorado — CPA",
            source="C.R.S. §6-1-1306(2) (45 days, +45; appeal answered within 45 days, +60)",
            respond=Period(DAYS, 45),
            extension=Period(DAYS, 45),
            extension_note="One extension of 45 days when reasonably necessary; tell the person within the first 45 days.",
            acknowledge=None,
            clock_starts=CLOCK_RECEIPT,
            needs_verification=True,
            free_requests=1,
            free_requests_window_days=365,
            limit_note="Free once a year.",
            appeal_response=Period(DAYS, 45),
            appeal_note="Appeal answered within 45 days (extendable by 60); if denied, the person may contact the Colorado Attorney General.",
            fee_allowed=True,
            fee_note="A second request within 12 months may be charged.",
            holiday_country="US",
            holiday_subdivision="CO",
        ),
        JurisdictionRule(
            code="ucpa",
            name="Utah — UCPA",
            source="Utah Code §13-61-203 (45 days, +45; one free request per 12 months; no appeal)",
            respond=Period(DAYS, 45),
            extension=Period(DAYS, 45),
            extension_note="One extension of 45 days when reasonably necessary; tell the person within the first 45 days.",
            acknowledge=None,
            clock_starts=CLOCK_RECEIPT,
            needs_verification=True,
            free_requests=1,
            free_requests_window_days=365,
            limit_note="Free once in 12 months.",
            appeal_response=None,
            appeal_note="No appeal right under the UCPA.",
            fee_allowed=True,
            fee_note="A second request within 12 months, or an excessive one, may be charged.",
            holiday_country="US",
            holiday_subdivision="UT",
        ),
        JurisdictionRule(
            code="house",
            name="Everyone else — house rule",
            source="Our privacy policy: answer within 30 days, +30 with notice; acknowledge within 10 business days; internal review on appeal",
            respond=Period(DAYS, 30),
            extension=Period(DAYS, 30),
            extension_note="One extension of 30 days; tell the person before the first 30 days end.",
            acknowledge=Period(BUSINESS_DAYS, 10),
            clock_starts=CLOCK_RECEIPT,
            needs_verification=True,
            free_requests=None,
            free_requests_window_days=365,
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

# EU and EEA member states (GDPR applies).
EEA_COUNTRIES = frozenset(
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
        "IS",
        "LI",
        "NO",
    ]
)
US_STATE_RULES = {
    "CA": "ccpa",
    "VA": "vcdpa",
    "CT": "ctdpa",
    "TX": "tdpsa",
    "CO": "cpa",
    "UT": "ucpa",
}


def get_rule(code: str) -> JurisdictionRule:
    try:
        return RULES[code]
    except KeyError:
        raise ValueError(f"Unknown jurisdiction rule {code!r}.") from None


def rule_code_for(*, country: str, state: str = "", request_type: str = "") -> str:
    """Which rule applies to a person living in ``country`` (and US ``state``)."""
    country = (country or "").upper()
    state = (state or "").upper()
    if country in EEA_COUNTRIES:
        return "gdpr"
    if country == "GB":
        return "uk_gdpr"
    if country == "US" and state in US_STATE_RULES:
        code = US_STATE_RULES[state]
        if code == "ccpa" and request_type == "opt_out_sale":
            return "ccpa_opt_out"
        return code
    return "house"
