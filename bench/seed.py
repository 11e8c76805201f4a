"""Seed a benchmark database with fictional data; not part of the product apps.

    .venv/bin/python -m bench.seed privacy --contacts N [--interactions-per-contact K] [--customers C] [--reset]
    .venv/bin/python -m bench.seed consent --contacts N [--key-file F] [--areas-file F] [--reset]

Run from the project root with the benchmark's environment (``DATABASE_URL`` of a
PostgreSQL database, ``DJANGO_SETTINGS_MODULE``; the benchmark scripts set both). Each
seeder is a Django command class (``bench/seed_privacy.py``, ``bench/seed_consent.py``)
run the way ``manage.py`` runs commands, so ``--help`` and errors behave the same."""

from __future__ import annotations

import importlib
import os
import sys

SEEDERS = {"privacy": "bench.seed_privacy", "consent": "bench.seed_consent"}


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in SEEDERS:
        raise SystemExit(f"usage: python -m bench.seed {{{','.join(SEEDERS)}}} [options]")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    import django

    django.setup()
    command = importlib.import_module(SEEDERS[argv[0]]).Command()
    command.run_from_argv(["bench.seed", argv[0], *argv[1:]])


if __name__ == "__main__":
    main()
