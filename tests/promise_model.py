"""The reference model of ``tests/test_promise_machine.py``: what the promises say the
consent check must answer for a small fixed universe (three people, two sender numbers
of one customer), written from DESIGN.md and the documented rules, never from the code
it checks. See docs/promise-machine.md.

The model keeps consent per identifier, as the ledger does: an SMS decision is a grant
or a withdrawal at one sender (or at every sender: STOPALL), ordered by when it was
made; a subscription per sender follows the decisions made at that sender; a
suppression is per identifier and outlives the contact. Who holds an identifier (which
live contact) is observed from the database, because contacts are created by several
paths (an import, a STOP from an unknown number, a suppression lifted); when the
holder changes, the consent of the identifier starts afresh, as it does for a new
contact."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

GRANTED, WITHDRAWN = "granted", "withdrawn"
PENDING, OPTED_IN, OPTED_OUT = "pending", "opted_in", "opted_out"
EVERY_SENDER = ""


@dataclass(frozen=True)
class Person:
    first_name: str
    last_name: str
    email: str
    phone: str  # E.164

    def needles(self) -> dict[str, str]:
        """What the erasure scan looks for (case-insensitively) after an erasure."""
        return {
            "first name": self.first_name,
            "last name": self.last_name,
            "e-mail": self.email,
            "phone": self.phone,
            "phone national": self.phone[2:],
        }


# Names no other row of the database could hold by accident.
PEOPLE = (
    Person("Zephyrine", "Quillfeather", "zephyrine.q@quill-mail.example", "+14155550171"),
    Person("Oswaldo", "Brackenridge", "oswaldo.b@bracken-mail.example", "+14155550172"),
    Person("Temperance", "Vandersloot", "temperance.v@vander-mail.example", "+14155550173"),
)
SENDERS = ("+12125550100", "+12125550199")
#: Our own privacy-requests number (``REQUESTS_SMS_FROM_NUMBER``): no customer's sender.
OUR_NUMBER = "+13125550188"

_clock = itertools.count(1)


@dataclass
class IdentifierModel:
    """One e-mail address or phone number of the customer."""

    holder: int | None = None  # pk of the live contact holding it (observed)
    suppressed: bool = False
    # The number's last word to our own requests number was STOP (or own words).
    our_number_opted_out: bool = False
    # sender ("" = every sender; e-mail uses "") -> (order, GRANTED | WITHDRAWN)
    decisions: dict[str, tuple[int, str]] = field(default_factory=dict)
    ever_granted: set[str] = field(default_factory=set)  # senders a grant was made at
    subscriptions: dict[str, str] = field(default_factory=dict)  # sender -> status

    def reset(self) -> None:
        """A new holder (or none): its consent starts afresh."""
        self.decisions.clear()
        self.ever_granted.clear()
        self.subscriptions.clear()

    def decide(self, sender: str, decision: str) -> None:
        self.decisions[sender] = (next(_clock), decision)
        if decision == GRANTED:
            self.ever_granted.add(sender)
        if sender:
            self.subscriptions[sender] = OPTED_IN if decision == GRANTED else OPTED_OUT

    def latest(self, sender: str) -> str | None:
        """The latest decision that applies at ``sender`` (its own or every sender's)."""
        found = [self.decisions[s] for s in {sender, EVERY_SENDER} if s in self.decisions]
        return max(found)[1] if found else None

    def sms_opt_out(self, sender: str, *, everywhere: bool) -> None:
        if everywhere:
            self.decide(EVERY_SENDER, WITHDRAWN)
            for known in self.subscriptions:
                self.subscriptions[known] = OPTED_OUT
            self.subscriptions[sender] = OPTED_OUT
        else:
            self.decide(sender, WITHDRAWN)

    def sms_rejoin(self, sender: str) -> bool:
        """START: a grant again where one was given before and withdrawn since."""
        had = bool(self.ever_granted & {sender, EVERY_SENDER})
        if had and self.latest(sender) != GRANTED:
            self.decide(sender, GRANTED)
            return True
        return False

    def had_opt_out(self) -> bool:
        """What the erasure engine turns into a suppression: a withdrawal in force at
        some sender, or an opted-out subscription."""
        withdrawn = any(decision == WITHDRAWN for _, decision in self.decisions.values())
        return withdrawn or OPTED_OUT in self.subscriptions.values()

    # --- the answers -------------------------------------------------------------------

    def sms_blocked(self, sender: str) -> bool:
        """``outbound_block_reason`` for a text from ``sender``: suppressed, or the
        number's last word there (or to every sender) was a withdrawal."""
        return self.suppressed or (self.holder is not None and self.latest(sender) == WITHDRAWN)

    def sms_marketing_allowed(self, sender: str) -> bool:
        if self.suppressed or self.holder is None:
            return False
        if self.latest(sender) != GRANTED:
            return False
        return self.subscriptions.get(sender) != OPTED_OUT

    def email_marketing_allowed(self) -> bool:
        if self.suppressed or self.holder is None:
            return False
        return self.latest(EVERY_SENDER) == GRANTED


@dataclass
class Model:
    identifiers: dict[str, IdentifierModel] = field(default_factory=dict)
    broker_up: bool = True

    def __post_init__(self) -> None:
        for person in PEOPLE:
            self.identifiers.setdefault(person.email, IdentifierModel())
            self.identifiers.setdefault(person.phone, IdentifierModel())

    def of(self, identifier: str) -> IdentifierModel:
        return self.identifiers[identifier]

    def holder_seen(self, identifier: str, holder: int | None) -> None:
        """The database says ``holder`` holds it now; a different one starts afresh."""
        model = self.identifiers[identifier]
        if model.holder != holder:
            model.holder = holder
            model.reset()

    def erased(self, contact_id: int) -> list[str]:
        """The contact was erased: its opted-out identifiers are suppressed, its consent
        is gone. Returns the identifiers it held."""
        held = [key for key, model in self.identifiers.items() if model.holder == contact_id]
        for key in held:
            model = self.identifiers[key]
            if model.had_opt_out():
                model.suppressed = True
            model.holder = None
            model.reset()
        return held
