"""Dependency audit for CI: pip-audit over the installed environment (.venv), failing
when a dependency has a known vulnerability that a newer release fixes.

    .venv/bin/python scripts/audit_dependencies.py

Exit 0: nothing fixable found. Exit 1: at least one vulnerability with a fix (upgrade
the package, or raise its bound in pyproject.toml), or pip-audit did not produce a
report. Vulnerabilities with no fix yet are listed but do not fail the run (nothing to
upgrade to; judge them by hand).

pip-audit asks PyPI's JSON API for each installed release. Where the index serves only
the project's JSON (some mirrors have no per-release endpoint), the project JSON still
lists the vulnerabilities of the latest release: a dependency installed at that release
is audited from it. One the index can't answer for at all is listed as not audited."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

INDEX_JSON = "https://pypi.org/pypi/{name}/json"


@dataclass(frozen=True)
class Finding:
    package: str
    version: str
    vulnerability: str
    fixed_in: tuple[str, ...]


# The project itself is installed into .venv too; it is not a dependency.
OWN_PROJECT = "privacy-back-office"


def findings(report: dict) -> tuple[list[Finding], list[Finding], list[str]]:
    """(fixable, without a fix, not audited) from pip-audit's JSON report."""
    fixable, unfixable, not_audited = [], [], []
    for dependency in report.get("dependencies", []):
        if dependency["name"] == OWN_PROJECT:
            continue
        if "skip_reason" in dependency:
            not_audited.append(dependency["name"])
            continue
        for vuln in dependency.get("vulns", []):
            finding = Finding(
                package=dependency["name"],
                version=dependency.get("version", "?"),
                vulnerability=vuln.get("id", "?"),
                fixed_in=tuple(vuln.get("fix_versions") or ()),
            )
            (fixable if finding.fixed_in else unfixable).append(finding)
    return fixable, unfixable, not_audited


def project_json(name: str) -> dict | None:
    try:
        with urllib.request.urlopen(INDEX_JSON.format(name=name), timeout=60) as response:  # noqa: S310 - fixed https URL
            return json.load(response)
    except (urllib.error.URLError, TimeoutError, ValueError):
        return None


def audit_from_project_json(report: dict, installed: dict[str, str], fetch=project_json) -> dict:
    """The report, with each dependency pip-audit could not audit audited from the
    project JSON when its installed version is the latest release."""
    dependencies = []
    for dependency in report.get("dependencies", []):
        name = dependency["name"]
        if "skip_reason" in dependency and name in installed:
            project = fetch(name)
            if project and project.get("info", {}).get("version") == installed[name]:
                dependency = {
                    "name": name,
                    "version": installed[name],
                    "vulns": [
                        {"id": v.get("id"), "fix_versions": v.get("fixed_in") or []}
                        for v in project.get("vulnerabilities", [])
                        if not v.get("withdrawn")
                    ],
                }
        dependencies.append(dependency)
    return {**report, "dependencies": dependencies}


def installed_versions() -> dict[str, str]:
    from importlib.metadata import distributions

    def canonical(name: str) -> str:
        return name.lower().replace("_", "-").replace(".", "-")

    return {canonical(d.metadata["Name"]): d.version for d in distributions()}


def main() -> int:
    pip_audit = Path(sys.executable).with_name("pip-audit")
    result = subprocess.run(  # noqa: S603 - our own venv's tool, fixed arguments
        [str(pip_audit), "--format", "json", "--progress-spinner", "off", "--skip-editable"],
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        print("pip-audit produced no report:", result.stderr.strip(), file=sys.stderr)
        return 1
    report = audit_from_project_json(report, installed_versions())
    fixable, unfixable, not_audited = findings(report)
    audited = sum(d["name"] != OWN_PROJECT for d in report.get("dependencies", [])) - len(
        not_audited
    )
    print(f"dependency audit: {audited} package(s) audited, {len(not_audited)} not audited")
    if not_audited:
        print(f"  not audited (the index gave no data): {', '.join(sorted(not_audited))}")
    for finding in unfixable:
        print(f"  no fix yet: {finding.package} {finding.version}: {finding.vulnerability}")
    for finding in fixable:
        print(
            f"  FIXABLE: {finding.package} {finding.version}: {finding.vulnerability}"
            f" (fixed in {', '.join(finding.fixed_in)})"
        )
    return 1 if fixable else 0


if __name__ == "__main__":
    sys.exit(main())
