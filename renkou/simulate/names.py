"""Chinese names, drawn column-wise: surnames by published frequency, given names by era and sex.

A name is a surname index plus a given-name index into one shared vocabulary, so a million
names cost two integer draws and one vectorised string join.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from renkou.simulate import namedata, params

SURNAMES: tuple[str, ...] = tuple(s for s, _ in namedata.SURNAMES) + namedata.SURNAME_TAIL


@lru_cache(maxsize=1)
def surname_probabilities() -> np.ndarray:
    top = np.array([share for _, share in namedata.SURNAMES])
    tail = np.full(
        len(namedata.SURNAME_TAIL), namedata.SURNAME_TAIL_SHARE / len(namedata.SURNAME_TAIL)
    )
    weights = np.concatenate([top, tail])
    return weights / weights.sum()


def draw_surnames(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.choice(len(SURNAMES), size=n, p=surname_probabilities()).astype(np.int16)


def draw_ethnic(rng: np.random.Generator, n: int, *, migrant: bool) -> np.ndarray:
    table = params.ETHNIC_MIGRANT if migrant else params.ETHNIC_NATIVE
    codes = np.array([int(c) for c in table], dtype=np.int8)
    shares = np.array(list(table.values()))
    return codes[rng.choice(len(codes), size=n, p=shares / shares.sum())]


class GivenNames:
    """One vocabulary of given names and, per (era, sex), a distribution over it."""

    def __init__(self) -> None:
        vocab: dict[str, int] = {}
        self.dists: dict[tuple[int, str], tuple[np.ndarray, np.ndarray]] = {}
        for (era, sex), data in namedata.GIVEN_NAMES.items():
            listed = list(data["names"])
            singles = list(data["single"])
            combos = [a + b for a in data["first"] for b in data["second"] if a != b]
            combos = [c for c in combos if c not in listed]
            single_share = namedata.SINGLE_NAME_SHARE[era]
            listed_share = namedata.LISTED_NAME_SHARE
            combo_share = 1.0 - single_share - listed_share
            zipf = 1.0 / np.arange(1, len(listed) + 1) ** 0.6
            zipf_single = 1.0 / np.arange(1, len(singles) + 1) ** 0.6
            weights = np.concatenate(
                [
                    zipf / zipf.sum() * listed_share,
                    zipf_single / zipf_single.sum() * single_share,
                    np.full(len(combos), combo_share / max(len(combos), 1)),
                ]
            )
            names = listed + singles + combos
            merged: dict[int, float] = {}
            for name, weight in zip(names, weights, strict=True):
                index = vocab.setdefault(name, len(vocab))
                merged[index] = merged.get(index, 0.0) + float(weight)
            ids = np.array(list(merged), dtype=np.int32)
            probs = np.array(list(merged.values()))
            self.dists[(era, sex)] = (ids, probs / probs.sum())
        self.vocab = list(vocab)
        self.eras = np.array(namedata.GIVEN_NAME_ERAS)

    def draw(self, rng: np.random.Generator, byear: np.ndarray, sex: np.ndarray) -> np.ndarray:
        """Given-name vocabulary indices for persons born in ``byear`` of ``sex`` (0 M, 1 F)."""
        era_index = np.searchsorted(self.eras, byear, side="right") - 1
        era_index = np.clip(era_index, 0, len(self.eras) - 1)
        out = np.zeros(len(byear), dtype=np.int32)
        key = era_index * 2 + sex
        order = np.argsort(key, kind="stable")
        bounds = np.searchsorted(key[order], np.arange(len(self.eras) * 2 + 1))
        for k in range(len(self.eras) * 2):
            members = order[bounds[k] : bounds[k + 1]]
            if len(members) == 0:
                continue
            ids, probs = self.dists[(int(self.eras[k // 2]), params.BIRTH_SEX_NAMES[k % 2])]
            out[members] = ids[rng.choice(len(ids), size=len(members), p=probs)]
        return out


@lru_cache(maxsize=1)
def given_names() -> GivenNames:
    return GivenNames()


def join_names(surname: np.ndarray, given: np.ndarray) -> pa.Array:
    """Full names as an Arrow string array (vectorised)."""
    surnames = pa.array(SURNAMES, type=pa.string()).take(pa.array(surname.astype(np.int64)))
    givens = pa.array(given_names().vocab, type=pa.string()).take(pa.array(given.astype(np.int64)))
    return pc.binary_join_element_wise(surnames, givens, "")
