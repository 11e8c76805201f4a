"""Checks of what a request brings, shared by the API and the public endpoints."""

from __future__ import annotations


def nul_field(value, path: str = "") -> str | None:
    """The first field of a request (a JSON value, or query parameters as a dict)
    holding a NUL byte, as a dotted path ("evidence.user_agent", "items[2]"), or None.
    A key with a NUL byte is reported as its parent (the key is not repeated).

    PostgreSQL cannot store NUL in text, and the drivers refuse it even in a query's
    parameters: without this a NUL anywhere became an HTML 500. Walked with a stack,
    not recursion: a body nested as deep as the JSON parser allows is walked too."""
    stack = [(path, value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return where or "(body)"
        elif isinstance(item, dict):
            children = []
            for key, child in item.items():
                if "\x00" in str(key):
                    return where or "(body)"
                children.append((f"{where}.{key}" if where else str(key), child))
            stack.extend(reversed(children))  # first field first
        elif isinstance(item, list):
            stack.extend(reversed([(f"{where}[{i}]", child) for i, child in enumerate(item)]))
    return None
