"""privacy.spreadsheets: the one helper every CSV/XLSX writer uses."""

import datetime as dt

import pytest
import tablib

from privacy.spreadsheets import neutralise_formula, neutralised_dataset


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+14155551098", "'+14155551098"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Ada", "Ada"),
        ("a=1", "a=1"),
        ("", ""),
        (-5, -5),
        (None, None),
        (dt.date(2026, 1, 2), dt.date(2026, 1, 2)),
    ],
)
def test_neutralise_formula(value, expected):
    assert neutralise_formula(value) == expected


def test_a_dataset_is_copied_not_changed():
    dataset = tablib.Dataset(["=1+1", 3], headers=["a", "b"], title="t")
    safe = neutralised_dataset(dataset)
    assert list(safe) == [("'=1+1", 3)] and safe.headers == ["a", "b"] and safe.title == "t"
    assert list(dataset) == [("=1+1", 3)]
