"""ID numbers (GB 11643) for a whole population at once, and date helpers for columns.

The check character is computed on integer digit arrays; ``tests/simulate`` proves it equals
:func:`renkou.lib.idnumber.check_character`, which a per-person Python call would cost a few
seconds per million.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from renkou.lib import idnumber

_WEIGHTS = np.array(idnumber.WEIGHTS, dtype=np.int64)
_CHECK = np.array(list(idnumber.CHECK_CHARACTERS))
# Sequence codes 002–999: pair number k gives 2k (women) or 2k+1 (men).
REGISTRY_PAIRS = (1, 500)


def ymd(days: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 → YYYYMMDD as int64."""
    dates = np.asarray(days, dtype="int64").astype("datetime64[D]")
    years = dates.astype("datetime64[Y]")
    months = dates.astype("datetime64[M]")
    y = years.astype(np.int64) + 1970
    m = (months - years).astype(np.int64) + 1
    d = (dates - months).astype(np.int64) + 1
    return y * 10000 + m * 100 + d


def check_characters(first17: np.ndarray) -> np.ndarray:
    """ISO 7064 MOD 11-2 check characters of 17-digit integers (vectorised)."""
    total = np.zeros(len(first17), dtype=np.int64)
    value = np.asarray(first17, dtype=np.int64).copy()
    for weight in _WEIGHTS[::-1]:
        total += (value % 10) * weight
        value //= 10
    return _CHECK[total % 11]


def allocate(
    rng: np.random.Generator,
    region: np.ndarray,
    bday: np.ndarray,
    male: np.ndarray,
    pairs: tuple[int, int] = REGISTRY_PAIRS,
) -> np.ndarray:
    """Unique first-17-digit integers: region, birth date, sequence with the sex digit."""
    lo, hi = pairs
    span = hi - lo
    step = 11  # coprime with the span (499, a prime)
    key = np.asarray(region, dtype=np.int64) * 100_000_000 + ymd(bday)
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    new = np.concatenate([[True], sorted_key[1:] != sorted_key[:-1]])
    group = np.cumsum(new) - 1
    starts = np.flatnonzero(new)
    rank = np.arange(len(key)) - starts[group]
    if len(rank) and rank.max() >= span:
        raise ValueError(f"more than {span} persons share a region and birth date")
    offset = rng.integers(0, span, size=len(starts))[group]
    pair = lo + (offset + rank * step) % span
    sequence = 2 * pair + np.asarray(male, dtype=np.int64)[order]
    first17 = np.empty(len(key), dtype=np.int64)
    first17[order] = sorted_key * 1000 + sequence
    return first17


def allocate_avoiding(
    rng: np.random.Generator,
    region: np.ndarray,
    bday: np.ndarray,
    male: np.ndarray,
    taken_sorted: np.ndarray,
) -> np.ndarray:
    """Like :func:`allocate` but never equal to a number in ``taken_sorted`` (ascending).

    Used for people who appear only in department feeds, so nothing in their number tells
    them apart from registry persons.
    """
    first17 = allocate(rng, region, bday, male)
    last = max(len(taken_sorted) - 1, 0)
    for _ in range(REGISTRY_PAIRS[1]):
        if len(taken_sorted):
            position = np.minimum(np.searchsorted(taken_sorted, first17), last)
            clash = taken_sorted[position] == first17
        else:
            clash = np.zeros(len(first17), dtype=bool)
        _, first_seen = np.unique(first17, return_index=True)
        repeated = np.ones(len(first17), dtype=bool)
        repeated[first_seen] = False
        clash |= repeated
        if not clash.any():
            return first17
        pair = (first17[clash] % 1000) // 2 + 1
        pair = np.where(pair >= REGISTRY_PAIRS[1], REGISTRY_PAIRS[0], pair)
        first17[clash] = first17[clash] // 1000 * 1000 + 2 * pair + first17[clash] % 2
    raise ValueError("no free ID sequence left for a region and birth date")


def id_strings(first17: np.ndarray) -> pa.Array:
    digits = pa.array(first17).cast(pa.string())
    checks = pa.array(check_characters(first17))
    return pc.binary_join_element_wise(digits, checks, "")


def one(first17: int) -> str:
    """A single ID number (uses the library's check character)."""
    text = str(int(first17))
    return text + idnumber.check_character(text)


def date_array(days: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    values = np.asarray(days, dtype="int64").astype("datetime64[D]")
    return pa.array(values, type=pa.date32(), mask=missing)


def keys(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    text = pa.array(np.asarray(numbers, dtype=np.int64)).cast(pa.string())
    return pc.binary_join_element_wise(prefix, pc.utf8_lpad(text, width, "0"), "")
