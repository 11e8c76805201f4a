"""privacy.transitions.StateField, the guarded-move helper every state field uses: the
map is checked (in words), a move is a guarded update that a second racer loses, and a
map that forgets a state of its field is refused when it is built. Exercised on a field
of privacy's own (Customer.status), with a map made up for the test."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model

from privacy.models import Customer
from privacy.tests.factories import CustomerFactory
from privacy.transitions import InvalidTransition, StateField

pytestmark = pytest.mark.django_db

A, T = Customer.Status.ACTIVE, Customer.Status.TERMINATED
STATUS = StateField(Customer, "status", {A: frozenset({T}), T: frozenset()})


def test_a_move_not_in_the_map_is_refused_in_words_and_changes_nothing():
    customer = CustomerFactory(status=T, contract_ended_on=dt.date(2026, 1, 31))
    with pytest.raises(InvalidTransition, match="Acme cannot move from “Terminated” to “Active”"):
        STATUS.move(
            Customer.objects.filter(pk=customer.pk), from_state=T, to_state=A, subject="Acme"
        )
    customer.refresh_from_db()
    assert customer.status == T


def test_a_move_is_guarded_by_the_old_state_so_a_second_racer_moves_nothing():
    customer = CustomerFactory(status=A)
    rows = Customer.objects.filter(pk=customer.pk)
    ended = dt.date(2026, 1, 31)
    assert STATUS.move(rows, from_state=A, to_state=T, subject="c", contract_ended_on=ended) == 1
    # The other worker read "active" too; its guarded update finds no such row any more.
    assert STATUS.move(rows, from_state=A, to_state=T, subject="c", contract_ended_on=ended) == 0
    customer.refresh_from_db()
    assert (customer.status, customer.contract_ended_on) == (T, ended)


def test_a_map_must_name_exactly_the_states_of_its_field():
    with pytest.raises(ValueError, match="must list exactly its states"):
        StateField(Customer, "status", {A: frozenset({T})})
    with pytest.raises(ValueError, match="must list exactly its states"):
        StateField(Customer, "status", {A: frozenset({"gone"}), T: frozenset()})


def test_a_queryset_of_another_model_is_refused():
    with pytest.raises(TypeError):
        STATUS.move(get_user_model().objects.all(), from_state=A, to_state=T, subject="x")
