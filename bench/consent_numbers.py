"""The consent benchmark's phone numbers: one numbering for the seed
(bench/seed_consent.py) and the load generators (bench/consent_bench.py,
bench/bench_growth.py), so a check or a STOP always names a seeded contact.

Contact g (0-based, in id order) has the number ``+1`` + ``blocks[g // 10000]`` +
the 4-digit line ``g % 10000``. A block is a 6-digit area code + exchange of 10,000
numbers that ``phonenumbers`` accepts as valid:

- the first 200 blocks (the first 2M contacts) are the fictional 555 exchange of the
  US area codes in ascending order, as before (a 1M database seeded earlier has the
  same numbers);
- beyond 2M, other exchanges (556, 557, ... of the same area codes). **Such numbers may
  belong to real people.** They only ever exist in a ``pbo_bench_*`` database (the seed
  refuses any other) and the benchmark's settings (bench/settings_bench.py) force the
  console SMS gateway, which texts nobody; the seed refuses to run under a gateway that
  could.

The areas file (``--areas-file``) lists the blocks a database uses, one a line; a file
written before this numbering holds 3-digit area codes, read as ``<area>555``.
Django-free: the load generator imports it without settings."""

from __future__ import annotations

from functools import cache
from pathlib import Path

BLOCK = 10_000
FICTIONAL_BLOCKS = 200  # the first 2M contacts: 555 numbers only
# Line digits sampled per block: phonenumbers' US patterns go down to the exchange, and
# in a few areas further; a block is used only if all of these lines are valid.
_SAMPLE_LINES = (0, 1111, 2222, 3333, 4444, 5555, 6666, 7777, 8888, 9999)


def _valid(number: str) -> bool:
    import phonenumbers

    return phonenumbers.is_valid_number(phonenumbers.parse(number))


def _block_ok(block: str) -> bool:
    return all(_valid(f"+1{block}{line:04d}") for line in _SAMPLE_LINES)


@cache
def _area_codes() -> tuple[str, ...]:
    """US area codes whose 555 numbers phonenumbers accepts (the seed's historical list)."""
    return tuple(str(a) for a in range(201, 990) if _valid(f"+1{a}5551234"))


def blocks(needed_numbers: int) -> list[str]:
    """The first blocks of the numbering, enough for ``needed_numbers`` numbers."""
    wanted = -(-needed_numbers // BLOCK)
    areas = _area_codes()
    out = [a + "555" for a in areas[:FICTIONAL_BLOCKS]][:wanted]
    # Beyond: exchange by exchange (556..999, then 200..554), area by area; no N11
    # service codes, no 555. The 555 blocks of areas past the first 200 stay unused, so
    # the numbering of the first 2M never depends on how far it goes.
    exchanges = [e for e in [*range(556, 1000), *range(200, 555)] if e % 100 != 11]
    for exchange in exchanges:
        if len(out) >= wanted:
            break
        for area in areas:
            if len(out) >= wanted:
                break
            block = f"{area}{exchange}"
            if _block_ok(block):
                out.append(block)
    if len(out) < wanted:
        raise ValueError(f"Only {len(out) * BLOCK} numbers in the numbering.")
    return out


def phone(blocks_: list[str], g: int) -> str:
    """Contact g's number (E.164)."""
    return f"+1{blocks_[g // BLOCK]}{g % BLOCK:04d}"


def read_blocks(path: str | Path) -> list[str]:
    """An areas file's blocks (3-digit lines of an older file mean ``<area>555``)."""
    lines = Path(path).read_text().split()
    return [x + "555" if len(x) == 3 else x for x in lines]


def write_blocks(path: str | Path, blocks_: list[str], contacts: int) -> None:
    Path(path).write_text("\n".join(blocks_[: (contacts - 1) // BLOCK + 1]) + "\n")
