#!/usr/bin/env python
"""Take the screenshots of docs/screenshots/ again.

Runs the browser tests marked ``screenshots`` (real headless Chromium, Debian's) with
``SCREENSHOT_DIR`` pointing at docs/screenshots/; each test writes its pages there as it
walks through them (the ``screenshot`` fixture in conftest.py). Re-run it after changing
a page:

    .venv/bin/python scripts/screenshots.py [extra pytest arguments]
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    env = {**os.environ, "SCREENSHOT_DIR": str(ROOT / "docs" / "screenshots")}
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-m",
        "screenshots",
        *sys.argv[1:],
    ]
    return subprocess.call(command, cwd=ROOT, env=env)  # noqa: S603 (our own pytest)


if __name__ == "__main__":
    sys.exit(main())
