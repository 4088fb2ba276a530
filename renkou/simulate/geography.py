"""The district's org tree: district → townships/streets → villages/communities → groups/buildings.

Codes follow GB/T 10114 as ``renkou.lib.divisions`` checks them: streets 001–099, towns
100–199, townships 200–399 under the 6-digit district code; under each, communities
(居委会) 001–199 and villages (村委会) 200–399; groups/buildings are the village code plus three
digits.  Townships and villages/communities are fixed before the simulation (the population
is allocated to villages); groups/buildings are cut at the end so each holds ~100–400 persons.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from renkou.simulate import namedata, params

__all__ = ["Geography", "build_geography", "chinese_numeral"]


@dataclass
class Geography:
    district_code: str  # 6 digits
    district_name: str
    # Townships: code (12), name, kind
    township_codes: list[str]
    township_names: list[str]
    township_kinds: list[str]
    # Villages/communities (level 3)
    village_codes: np.ndarray  # int64, 12 digits
    village_names: list[str]
    village_kinds: list[str]  # "community" | "village"
    village_township: np.ndarray  # int32
    village_weight: np.ndarray  # float64, relative expected population
    # Groups/buildings (level 4), filled by cut_groups()
    group_codes: list[str] = field(default_factory=list)
    group_names: list[str] = field(default_factory=list)
    group_village: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))

    @property
    def district_code12(self) -> str:
        return self.district_code + "000000"

    @property
    def rural(self) -> np.ndarray:
        return np.array([k == "village" for k in self.village_kinds], dtype=bool)

    def village_full_name(self, index: int) -> str:
        t = int(self.village_township[index])
        return self.district_name + self.township_names[t] + self.village_names[index]

    def pick_villages(self, rng: np.random.Generator, count: int, community_share: float):
        """Villages for ``count`` newcomers: communities with ``community_share``, by weight."""
        rural = self.rural
        to_community = rng.random(count) < community_share
        out = np.empty(count, dtype=np.int32)
        for flag, mask in ((True, to_community), (False, ~to_community)):
            pool = np.flatnonzero(~rural if flag else rural)
            if len(pool) == 0:
                pool = np.arange(len(rural))
            weights = self.village_weight[pool]
            out[mask] = pool[rng.choice(len(pool), size=int(mask.sum()), p=weights / weights.sum())]
        return out

    def cut_groups(self, village: np.ndarray, size: np.ndarray, order: np.ndarray) -> np.ndarray:
        """Cut each village's blocks (households, migrant families) into groups/buildings.

        ``village`` and ``size`` describe the blocks; ``order`` is a random sort key.  Each
        village gets ``round(total / GROUP_TARGET)`` (at least 1) groups of about equal size;
        returns the group index of every block and fills the ``group_*`` lists.
        """
        n_villages = len(self.village_codes)
        sort = np.lexsort((order, village))
        v_sorted = village[sort]
        s_sorted = size[sort].astype(np.int64)
        totals = np.bincount(village, weights=size, minlength=n_villages).astype(np.int64)
        n_groups = np.maximum(1, np.rint(totals / params.GROUP_TARGET)).astype(np.int64)
        n_groups = np.minimum(n_groups, 999)
        cumulative = np.cumsum(s_sorted)
        first_of_village = np.concatenate([[0], np.cumsum(totals)])[:-1]
        before = cumulative - s_sorted - first_of_village[v_sorted]
        local = (before * n_groups[v_sorted]) // np.maximum(totals[v_sorted], 1)
        local = np.minimum(local, n_groups[v_sorted] - 1)
        group_offset = np.concatenate([[0], np.cumsum(n_groups)])[:-1]
        result = np.empty(len(village), dtype=np.int64)
        result[sort] = group_offset[v_sorted] + local
        codes: list[str] = []
        names: list[str] = []
        owners: list[int] = []
        for v in range(n_villages):
            base = str(int(self.village_codes[v]))
            for k in range(1, int(n_groups[v]) + 1):
                codes.append(f"{base}{k:03d}")
                if self.village_kinds[v] == "village":
                    names.append(f"{self.village_names[v]}{chinese_numeral(k)}组")
                else:
                    names.append(f"{self.village_names[v]}{k}栋")
                owners.append(v)
        self.group_codes = codes
        self.group_names = names
        self.group_village = np.array(owners, dtype=np.int32)
        return result

    def unit_rows(self) -> list[tuple[str, str, str, str]]:
        """(code, name, kind, parent_code) for every unit, parents first."""
        rows = [(self.district_code12, self.district_name, "district", "")]
        for code, name, kind in zip(
            self.township_codes, self.township_names, self.township_kinds, strict=True
        ):
            rows.append((code, name, kind, self.district_code12))
        for i, code in enumerate(self.village_codes):
            parent = self.township_codes[int(self.village_township[i])]
            rows.append((str(int(code)), self.village_names[i], self.village_kinds[i], parent))
        for i, code in enumerate(self.group_codes):
            v = int(self.group_village[i])
            kind = "group" if self.village_kinds[v] == "village" else "building"
            rows.append((code, self.group_names[i], kind, str(int(self.village_codes[v]))))
        return rows


def chinese_numeral(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 35 → 三十五 (1–999)."""
    digits = namedata.CHINESE_NUMERALS
    if n <= 10:
        return digits[n - 1]
    if n < 20:
        return "十" + digits[n - 11]
    if n < 100:
        tens, ones = divmod(n, 10)
        return digits[tens - 1] + "十" + (digits[ones - 1] if ones else "")
    hundreds, rest = divmod(n, 100)
    tail = (
        "" if rest == 0 else ("零" + chinese_numeral(rest) if rest < 10 else chinese_numeral(rest))
    )
    return digits[hundreds - 1] + "百" + tail


def _stems(rng: np.random.Generator, preferred: tuple[str, ...], count: int, used: set[str]):
    """``count`` distinct 2-character place stems: preferred ones first, then combinations."""
    pool = [s for s in preferred if s not in used]
    order = rng.permutation(len(pool))
    chosen = [pool[i] for i in order[:count]]
    combos = [a + b for a in namedata.PLACE_FIRST for b in namedata.PLACE_SECOND]
    combos = [c for c in combos if c not in used and c not in chosen]
    extra = rng.permutation(len(combos))
    chosen += [combos[i] for i in extra[: max(0, count - len(chosen))]]
    used.update(chosen)
    return chosen


def build_geography(
    rng: np.random.Generator, residents: float, district_code: str, district_name: str
) -> Geography:
    """Townships and villages/communities for a district of about ``residents`` people."""
    lo, hi = params.TOWNSHIPS
    n_town = int(np.clip(round(residents / params.PERSONS_PER_TOWNSHIP), lo, hi))
    n_street = max(1, round(n_town * params.TOWNSHIP_KINDS["street"]))
    n_township = max(1, round(n_town * params.TOWNSHIP_KINDS["township"]))
    n_towns = max(1, n_town - n_street - n_township)
    used: set[str] = set()
    street_stems = _stems(rng, namedata.COMMUNITY_STEMS[:20], n_street, used)
    town_stems = _stems(rng, namedata.VILLAGE_STEMS, n_towns + n_township, used)
    townships: list[tuple[str, str, str, float]] = []  # code, name, kind, population
    urban_pop = residents * 0.65
    for i, stem in enumerate(street_stems):
        townships.append((f"{district_code}{i + 1:03d}000", stem + "街道", "street",
                          urban_pop / n_street))  # fmt: skip
    for i, stem in enumerate(town_stems[:n_towns]):
        townships.append((f"{district_code}{101 + i:03d}000", stem + "镇", "town",
                          residents * 0.25 / n_towns))  # fmt: skip
    for i, stem in enumerate(town_stems[n_towns:]):
        townships.append((f"{district_code}{201 + i:03d}000", stem + "乡", "township",
                          residents * 0.10 / n_township))  # fmt: skip

    plan: list[tuple[int, str, float]] = []  # township index, kind, population
    for t, (_code, _name, kind, pop) in enumerate(townships):
        if kind == "street":
            n_comm = max(2, round(pop / params.PERSONS_PER_COMMUNITY))
            plan += [(t, "community", pop / n_comm)] * min(n_comm, 199)
        elif kind == "town":
            n_comm = max(1, round(pop * 0.3 / params.PERSONS_PER_COMMUNITY))
            n_vil = max(2, round(pop * 0.7 / params.PERSONS_PER_VILLAGE))
            plan += [(t, "community", pop * 0.3 / n_comm)] * min(n_comm, 199)
            plan += [(t, "village", pop * 0.7 / n_vil)] * min(n_vil, 199)
        else:
            n_vil = max(2, round(pop / params.PERSONS_PER_VILLAGE))
            plan += [(t, "village", pop / n_vil)] * min(n_vil, 199)

    n_comm_total = sum(1 for _, kind, _ in plan if kind == "community")
    comm_stems = _stems(rng, namedata.COMMUNITY_STEMS, n_comm_total, used)
    vil_stems = _stems(rng, namedata.VILLAGE_STEMS, len(plan) - n_comm_total, used)
    codes, names, kinds, owner, weight = [], [], [], [], []
    counters: dict[tuple[int, str], int] = {}
    for t, kind, pop in plan:
        start = 1 if kind == "community" else 201
        k = counters.get((t, kind), start)
        counters[(t, kind)] = k + 1
        codes.append(int(townships[t][0][:9] + f"{k:03d}"))
        names.append(
            (comm_stems.pop() + "社区") if kind == "community" else (vil_stems.pop() + "村")
        )
        kinds.append(kind)
        owner.append(t)
        weight.append(pop * float(np.exp(rng.normal(0, 0.3))))
    return Geography(
        district_code=district_code,
        district_name=district_name,
        township_codes=[t[0] for t in townships],
        township_names=[t[1] for t in townships],
        township_kinds=[t[2] for t in townships],
        village_codes=np.array(codes, dtype=np.int64),
        village_names=names,
        village_kinds=kinds,
        village_township=np.array(owner, dtype=np.int32),
        village_weight=np.array(weight, dtype=np.float64),
    )
