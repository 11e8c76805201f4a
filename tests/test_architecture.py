"""The floors (docs/architecture.md), held by reading the imports of the code:

- between apps: ``privacy`` imports neither ``consent`` nor ``requests_app``; ``consent``
  imports ``privacy`` only; no app imports another app's admin or ``config``;
- inside an app: models < selectors < services (with the request timeline) < the callers
  (admin, views, api, tasks, management commands); a lower floor never imports a higher
  one. A service may queue a task, importing it inside the function at call time;
- no service or selector module grows past about 500 lines (the COPY importer excepted)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

# No database is needed; the mark lets the shared autouse fixtures (cache) run.
pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[1]
APPS = ("privacy", "consent", "requests_app")
MAY_IMPORT = {"privacy": set(), "consent": {"privacy"}, "requests_app": {"privacy", "consent"}}
CALLERS = ("admin", "admin_kit", "views", "api", "tasks", "management", "urls", "forms")


def _sources(app: str):
    for path in sorted((ROOT / app).rglob("*.py")):
        if {"tests", "migrations"} & set(path.parts):
            continue
        yield path, ast.parse(path.read_text())


def _imports(tree: ast.AST):
    """(module imported, at module level?) for every import statement."""
    top = set(map(id, tree.body))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module, id(node) in top
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, id(node) in top


def _floor(module: str) -> str | None:
    """models / selectors / services / callers, for a dotted module of an app."""
    parts = module.split(".")[1:]
    if not parts:
        return None
    head = parts[0]
    if head in ("models",):
        return "models"
    if head in ("selectors",):
        return "selectors"
    if head in ("services", "timeline", "transitions"):
        return "services"
    if head in CALLERS:
        return "callers"
    return None


RANK = {"models": 0, "selectors": 1, "services": 2, "callers": 3}


@pytest.mark.parametrize("app", APPS)
def test_an_app_imports_only_the_apps_below_it_and_never_their_admin_or_config(app):
    wrong = []
    for path, tree in _sources(app):
        for module, _ in _imports(tree):
            root = module.split(".")[0]
            if root in APPS and root != app and root not in MAY_IMPORT[app]:
                wrong.append(f"{path.relative_to(ROOT)} imports {module}")
            if root in APPS and root != app and module.split(".")[1:2] == ["admin"]:
                wrong.append(f"{path.relative_to(ROOT)} imports another app's admin {module}")
            if root == "config":
                wrong.append(f"{path.relative_to(ROOT)} imports the project package {module}")
    assert wrong == []


@pytest.mark.parametrize("app", APPS)
def test_no_lower_floor_imports_a_higher_one(app):
    wrong = []
    for path, tree in _sources(app):
        own = _floor(".".join(path.relative_to(ROOT).with_suffix("").parts))
        if own is None:
            continue
        for module, top_level in _imports(tree):
            if module.split(".")[0] != app:
                continue
            theirs = _floor(module)
            if theirs is None or RANK[theirs] <= RANK[own]:
                continue
            queues_a_task = own == "services" and module == f"{app}.tasks" and not top_level
            if not queues_a_task:
                wrong.append(f"{path.relative_to(ROOT)} ({own}) imports {module} ({theirs})")
    assert wrong == []


def test_no_service_or_selector_module_is_over_about_500_lines():
    big = {
        str(path.relative_to(ROOT)): lines
        for app in APPS
        for path in (ROOT / app).rglob("*.py")
        if {"services", "selectors"} & set(path.parts) or path.stem in ("services", "selectors")
        if "tests" not in path.parts and (lines := len(path.read_text().splitlines())) > 520
    }
    # The COPY importer (privacy/services/bulk_import.py) is the agreed exception.
    big.pop("privacy/services/bulk_import.py", None)
    assert big == {}
