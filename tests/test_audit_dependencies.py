"""scripts/audit_dependencies.py: which pip-audit findings fail CI."""

import importlib.util
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "audit_dependencies.py"
_spec = importlib.util.spec_from_file_location("audit_dependencies", SCRIPT)
audit = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("audit_dependencies", audit)  # dataclasses look their module up
_spec.loader.exec_module(audit)

REPORT = {
    "dependencies": [
        {"name": "django", "version": "5.2.1", "vulns": [
            {"id": "PYSEC-2025-1", "fix_versions": ["5.2.2"], "aliases": []},
        ]},
        {"name": "somelib", "version": "1.0", "vulns": [
            {"id": "GHSA-xxxx", "fix_versions": [], "aliases": []},
        ]},
        {"name": "clean", "version": "2.0", "vulns": []},
        {"name": "private-pkg", "skip_reason": "Dependency not found on PyPI"},
    ],
    "fixes": [],
}  # fmt: skip


def test_a_vulnerability_with_a_fix_fails_one_without_is_listed():
    fixable, unfixable, not_audited = audit.findings(REPORT)
    assert [(f.package, f.vulnerability, f.fixed_in) for f in fixable] == [
        ("django", "PYSEC-2025-1", ("5.2.2",))
    ]
    assert [(f.package, f.vulnerability) for f in unfixable] == [("somelib", "GHSA-xxxx")]
    assert not_audited == ["private-pkg"]


def test_a_clean_report_passes():
    assert audit.findings({"dependencies": [{"name": "a", "version": "1", "vulns": []}]}) == (
        [],
        [],
        [],
    )


def test_main_fails_on_a_fixable_finding(monkeypatch, capsys):
    class Done:
        stdout = __import__("json").dumps(REPORT)
        stderr = ""

    monkeypatch.setattr(audit.subprocess, "run", lambda *a, **k: Done())
    monkeypatch.setattr(audit, "project_json", lambda name: None)
    assert audit.main() == 1
    out = capsys.readouterr().out
    assert "FIXABLE: django 5.2.1: PYSEC-2025-1 (fixed in 5.2.2)" in out
    assert "no fix yet: somelib 1.0: GHSA-xxxx" in out


def test_main_fails_when_pip_audit_gives_no_report(monkeypatch):
    class Broken:
        stdout = ""
        stderr = "network unreachable"

    monkeypatch.setattr(audit.subprocess, "run", lambda *a, **k: Broken())
    assert audit.main() == 1


def test_a_dependency_at_the_latest_release_is_audited_from_the_project_json():
    """Where the index has no per-release endpoint (pip-audit skips the dependency), the
    project JSON's vulnerabilities of the latest release are used, if that's installed."""
    projects = {
        "private-pkg": {
            "info": {"version": "3.0"},
            "vulnerabilities": [
                {"id": "PYSEC-1", "fixed_in": ["3.0.1"], "withdrawn": None},
                {"id": "PYSEC-2", "fixed_in": [], "withdrawn": None},
                {"id": "PYSEC-3", "fixed_in": ["3.1"], "withdrawn": "2025-01-01"},
            ],
        },
        "older": {"info": {"version": "9.0"}, "vulnerabilities": [{"id": "X", "fixed_in": ["9"]}]},
    }
    report = {
        "dependencies": [
            {"name": "private-pkg", "skip_reason": "not found"},
            {"name": "older", "skip_reason": "not found"},
        ]
    }
    completed = audit.audit_from_project_json(
        report, {"private-pkg": "3.0", "older": "1.0"}, fetch=projects.get
    )
    fixable, unfixable, not_audited = audit.findings(completed)
    assert [(f.vulnerability, f.fixed_in) for f in fixable] == [("PYSEC-1", ("3.0.1",))]
    assert [f.vulnerability for f in unfixable] == ["PYSEC-2"]
    assert not_audited == ["older"]  # installed 1.0, the JSON speaks of 9.0 only
