"""Every state field moves through its app's one transition service, built on privacy's
guarded-move helper: no other code in any app writes a ``state`` or ``status`` field
(``.update(status=…)``, ``obj.state = …``, ``save(update_fields=[…"state"…])``).
Creating a row with its first state is not a move."""

import ast
from pathlib import Path

import pytest

from consent.models import SmsSubscription
from consent.services import SUBSCRIPTION_TRANSITIONS, sms_subscriptions_transition
from consent.tests.factories import CustomerFactory

ROOT = Path(__file__).resolve().parents[1]
#: The modules of each app allowed to write its state fields: one per state field.
TRANSITION_MODULES = {
    "consent": {
        ROOT / "consent" / "services" / "subscriptions.py",  # SmsSubscription.status
        ROOT / "consent" / "services" / "revocation_reviews.py",  # RevocationReview.status
    },
    "requests_app": {ROOT / "requests_app" / "services" / "transitions.py"},
}
STATE_FIELDS = {"state", "status"}


def _writes_a_state_field(node: ast.AST) -> bool:
    if isinstance(node, ast.Call) and ast.unparse(node.func).endswith(".update"):
        return bool(STATE_FIELDS & {k.arg for k in node.keywords})
    if isinstance(node, ast.Assign | ast.AugAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return any(isinstance(t, ast.Attribute) and t.attr in STATE_FIELDS for t in targets)
    if isinstance(node, ast.keyword) and node.arg == "update_fields":
        names = {e.value for e in getattr(node.value, "elts", []) if isinstance(e, ast.Constant)}
        return bool(STATE_FIELDS & names)
    return False


@pytest.mark.parametrize("app", ["consent", "requests_app"])
def test_nothing_but_the_transition_service_writes_a_state_field(app):
    writes = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path in (ROOT / app).rglob("*.py")
        if not {"tests", "migrations"} & set(path.parts) and path not in TRANSITION_MODULES[app]
        for node in ast.walk(ast.parse(path.read_text()))
        if _writes_a_state_field(node)
    ]
    assert writes == []


@pytest.mark.django_db
def test_a_subscription_moves_only_as_its_map_allows():
    """A sign-up again (to "pending") moves an opted-out or pending number, never an
    opted-in one; a STOP (to "opted out") moves every one."""
    customer = CustomerFactory()
    Status = SmsSubscription.Status
    rows = {
        status: SmsSubscription.objects.create(
            customer=customer,
            phone=f"+1415555010{n}",
            sender="+12125550100",
            program="marketing",
            status=status,
        )
        for n, status in enumerate(Status.values)
    }
    assert Status.PENDING not in SUBSCRIPTION_TRANSITIONS[Status.OPTED_IN]

    moved = sms_subscriptions_transition(SmsSubscription.objects.all(), to_status=Status.PENDING)

    assert moved == 2
    assert SmsSubscription.objects.get(pk=rows[Status.OPTED_IN].pk).status == Status.OPTED_IN
    assert SmsSubscription.objects.get(pk=rows[Status.OPTED_OUT].pk).status == Status.PENDING
    assert (
        sms_subscriptions_transition(SmsSubscription.objects.all(), to_status=Status.OPTED_OUT) == 3
    )
