"""Write a CSV of fictional contacts in the import format, as messy as real exports:
phone numbers in six formats (some with extensions), e-mail domains in mixed case,
notes that span lines, and about 1% rows that repeat an earlier person's e-mail (the
import merges them). All phone numbers are in the fictional 555 exchange.

    .venv/bin/python bench/gen_contacts_csv.py --rows 1000000 --out /tmp/pbo_bench/contacts_1m.csv
"""

from __future__ import annotations

import argparse
import csv
import random
import time
from pathlib import Path

import phonenumbers

FIRST = ["Ana", "Bo", "Dana", "Émile", "Farah", "Ines", "Jonas", "Kwame", "Lena", "Mateo",
         "Nia", "Owen", "Priya", "Quinn", "Rosa", "Sven", "Tariq", "Uma", "Vera", "Wen"]  # fmt: skip
LAST = ["Abara", "Brook", "Castillo", "Dubois", "Eriksen", "Fofana", "García", "Huang",
        "Jensen", "Kowalski", "López", "Müller", "Nakamura", "O'Neil", "Patel", "Schmidt"]  # fmt: skip
STATES = ["CA", "NY", "TX", "FL", "MA", "CO", "VA", "WA", "IL", "GA"]
SOURCES = ["web form", "call", "sms keyword", "trade show", "partner list"]
NOTES = ["", "", "", "Prefers e-mail", "VIP; do not call before 10",
         "Called about billing,\nasked for a callback"]  # fmt: skip
DOMAINS = ["example.org", "Example.COM", "example.net", "MAIL.example.org"]
HEADER = ["first_name", "last_name", "email", "phone", "country", "state", "source", "notes"]


def valid_area_codes() -> list[str]:
    codes = []
    for area in range(201, 990):
        number = phonenumbers.parse(f"+1{area}5551234")
        if phonenumbers.is_valid_number(number):
            codes.append(str(area))
    return codes


def fmt_phone(area: str, line: int, style: int) -> str:
    local = f"{line:04d}"
    return [
        f"({area}) 555-{local}",
        f"{area}.555.{local}",
        f"+1 {area} 555 {local}",
        f"1{area}555{local}",
        f"+1{area}555{local}",
        f"{area}-555-{local} x{style + 10}",
    ][style % 6]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--duplicates", type=float, default=0.01)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    areas = valid_area_codes()
    if args.rows > len(areas) * 10_000:
        raise SystemExit(f"At most {len(areas) * 10_000} distinct 555 numbers.")
    slots = rng.sample(range(len(areas) * 10_000), k=args.rows)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with args.out.open("w", encoding="utf-8", newline="") as handle:
        handle.write("\ufeff")
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for i, slot in enumerate(slots):
            area, line = areas[slot // 10_000], slot % 10_000
            person = i
            if i > 10 and rng.random() < args.duplicates:
                person = rng.randrange(i)  # the same person again, e-mail in capitals
            # A person's name follows from who they are, so a repeated row names them alike.
            first, last = FIRST[(person * 7) % 20], LAST[(person * 11 + person // 20) % 16]
            local = FIRST[person % 20].lower().replace("é", "e")  # ASCII local parts
            email = f"{local}.p{person}@{DOMAINS[person % 4]}"
            if person != i:
                email = email.upper()
            writer.writerow([first, last, email, fmt_phone(area, line, rng.randrange(6)), "US",
                             rng.choice(STATES), rng.choice(SOURCES), rng.choice(NOTES)])  # fmt: skip
    size = args.out.stat().st_size / 1e6
    print(
        f"Wrote {args.rows} rows ({size:.0f} MB) to {args.out} in {time.perf_counter() - started:.1f}s"
    )


if __name__ == "__main__":
    main()
