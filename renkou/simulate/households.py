"""Households (户) at the end of the simulation, their groups/buildings and addresses.

Every living person registered here belongs to one household: a couple with their
never-married children (and a widowed parent of 70+ in about half the families), or a single
person.  Floating residents live in their own dwellings.  Households and floating dwellings
are cut into groups/buildings of ~100–400 persons per village/community.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from renkou.simulate import params
from renkou.simulate.population import Simulation
from renkou.simulate.state import DIVORCED, MALE, NEVER_MARRIED, WIDOWED


@dataclass
class Households:
    root: np.ndarray  # per household: the head (sim index)
    village: np.ndarray
    group: np.ndarray
    number: pa.Array  # household_no
    address: pa.Array
    member_household: np.ndarray  # per sim index: household row or -1
    relation: np.ndarray  # per sim index: GB/T 4761 code ("" if none)
    floating_group: np.ndarray  # per sim index: group of a floating resident's dwelling or -1


def _ok(index: np.ndarray, mask: np.ndarray) -> np.ndarray:
    return (index >= 0) & mask[np.maximum(index, 0)]


def _pointers(sim: Simulation, rng: np.random.Generator, in_h: np.ndarray) -> np.ndarray:
    """For every person, the person whose household they live in (heads point to themselves)."""
    p, m = sim.w.p, sim.w.m
    n = p.n
    ptr = np.arange(n, dtype=np.int64)
    spouse = p.spouse[:n].astype(np.int64)
    couple = in_h & _ok(spouse, in_h) & (p.mar[:n] >= 0)
    head_is_h = rng.random(max(m.n, 1)) < params.HEAD_IS_HUSBAND
    row = np.maximum(p.mar[:n], 0)
    head = np.where(head_is_h[row], m.h[row], m.w[row]).astype(np.int64)
    ptr[couple] = head[couple]
    mother, father = p.mother[:n].astype(np.int64), p.father[:n].astype(np.int64)
    single = in_h & (p.marital[:n] == NEVER_MARRIED)
    target = np.full(n, -1, dtype=np.int64)
    for candidate in (
        mother,
        father,
        np.where(mother >= 0, mother[np.maximum(mother, 0)], -1),
        np.where(mother >= 0, father[np.maximum(mother, 0)], -1),
        np.where(father >= 0, mother[np.maximum(father, 0)], -1),
        np.where(father >= 0, father[np.maximum(father, 0)], -1),
    ):
        target = np.where((target < 0) & _ok(candidate, in_h), candidate, target)
    take = single & (target >= 0)
    ptr[take] = target[take]
    # widowed/divorced elderly living with a married child (sons first)
    age = sim.end - p.byear[:n].astype(np.int64)
    home = np.maximum(p.hv[:n], 0)
    share = np.where(sim.rural[home], params.ELDERLY_WITH_CHILD["rural"],
                     params.ELDERLY_WITH_CHILD["urban"])  # fmt: skip
    marital = p.marital[:n]
    elder = in_h & ~couple & ((marital == WIDOWED) | (marital == DIVORCED)) & (age >= 70)
    elder &= rng.random(n) < share
    married_child = np.flatnonzero(couple)
    parents = np.concatenate([mother[married_child], father[married_child]])
    children = np.concatenate([married_child, married_child])
    keep = (parents >= 0) & elder[np.maximum(parents, 0)]
    parents, children = parents[keep], children[keep]
    order = np.lexsort((rng.random(len(children)), p.sex[children], parents))
    parents, children = parents[order], children[order]
    first = np.concatenate([[True], parents[1:] != parents[:-1]]) if len(parents) else parents
    ptr[parents[first]] = children[first]
    for _ in range(40):
        following = ptr[ptr]
        if np.array_equal(following, ptr):
            break
        ptr = following
    stuck = ptr[ptr] != ptr
    ptr[stuck] = np.flatnonzero(stuck)
    return ptr


def build(sim: Simulation, rng: np.random.Generator) -> Households:
    p, geo = sim.w.p, sim.geo
    n = p.n
    alive = ~p.gone[:n]
    in_h = alive & (p.hv[:n] >= 0)
    ptr = _pointers(sim, rng, in_h)
    members = np.flatnonzero(in_h)
    roots, member_row = np.unique(ptr[members], return_inverse=True)
    n_hh = len(roots)
    hh_village = p.hv[roots].astype(np.int64)
    hh_size = np.bincount(member_row, minlength=n_hh)
    # floating residents' dwellings
    floating = np.flatnonzero(alive & (p.hv[:n] < 0) & (p.rv[:n] >= 0))
    fam = p.fam[floating].astype(np.int64)
    spouse = p.spouse[floating].astype(np.int64)
    is_floating = np.zeros(n, dtype=bool)
    is_floating[floating] = True
    pair = np.where(_ok(spouse, is_floating), np.minimum(floating, spouse), floating)
    dwelling_key = np.where(fam >= 0, fam, n + pair)
    dwellings, dwelling_row = np.unique(dwelling_key, return_inverse=True)
    first_member = np.full(len(dwellings), n, dtype=np.int64)
    np.minimum.at(first_member, dwelling_row, floating)
    dwelling_village = p.rv[first_member].astype(np.int64)
    dwelling_size = np.bincount(dwelling_row, minlength=len(dwellings))
    block_village = np.concatenate([hh_village, dwelling_village])
    block_size = np.concatenate([hh_size, dwelling_size])
    block_group = geo.cut_groups(block_village, block_size, rng.random(len(block_village)))
    hh_group = block_group[:n_hh]
    floating_group = np.full(n, -1, dtype=np.int64)
    floating_group[floating] = block_group[n_hh:][dwelling_row]
    p.rv[floating] = dwelling_village[dwelling_row]
    member_household = np.full(n, -1, dtype=np.int64)
    member_household[members] = member_row
    number, address = _numbers_and_addresses(sim, rng, hh_village, hh_group)
    relation = _relations(sim, members, roots[member_row])
    return Households(
        root=roots,
        village=hh_village,
        group=hh_group,
        number=number,
        address=address,
        member_household=member_household,
        relation=relation,
        floating_group=floating_group,
    )


def _numbers_and_addresses(sim, rng, village, group):
    geo = sim.geo
    n = len(village)
    order = np.lexsort((rng.random(n), group))
    serial = np.empty(n, dtype=np.int64)
    in_group = np.empty(n, dtype=np.int64)
    sorted_village = village[order]
    sorted_group = group[order]
    pos = np.arange(n)
    new_v = np.concatenate([[True], sorted_village[1:] != sorted_village[:-1]]) if n else pos
    new_g = np.concatenate([[True], sorted_group[1:] != sorted_group[:-1]]) if n else pos
    start_v = np.maximum.accumulate(np.where(new_v, pos, 0)) if n else pos
    start_g = np.maximum.accumulate(np.where(new_g, pos, 0)) if n else pos
    serial[order] = pos - start_v + 1
    in_group[order] = pos - start_g
    width = max(4, len(str(int(serial.max())))) if n else 4
    codes = pa.array(geo.village_codes[village]).cast(pa.string())
    number = pc.binary_join_element_wise(
        codes, pc.utf8_lpad(pa.array(serial).cast(pa.string()), width, "0"), ""
    )
    prefix = [
        geo.district_name + geo.township_names[int(geo.village_township[v])]
        for v in range(len(geo.village_codes))
    ]
    prefixes = pa.array(prefix).take(pa.array(village))
    group_names = pa.array(geo.group_names).take(pa.array(group))
    rural = geo.rural[village]
    unit = in_group // 60 + 1
    room = (in_group % 60) // 4 * 100 + 100 + in_group % 4 + 1
    flat = pc.binary_join_element_wise(
        pa.array(unit).cast(pa.string()), "单元", pa.array(room).cast(pa.string()), ""
    )
    house = pc.binary_join_element_wise(pa.array(in_group + 1).cast(pa.string()), "号", "")
    tail = pc.if_else(pa.array(rural), house, flat)
    address = pc.binary_join_element_wise(prefixes, group_names, tail, "")
    return number, address


def _relations(sim: Simulation, members: np.ndarray, head: np.ndarray) -> np.ndarray:
    """GB/T 4761 relation of each member to the head of their household."""
    p = sim.w.p
    n = p.n
    relation = np.full(n, "", dtype="<U2")
    mother, father = p.mother[:n].astype(np.int64), p.father[:n].astype(np.int64)
    spouse = p.spouse[:n].astype(np.int64)
    male = p.sex[members] == MALE

    def of(array: np.ndarray, index: np.ndarray) -> np.ndarray:
        return np.where(index >= 0, array[np.maximum(index, 0)], -1)

    mo, fa = mother[members], father[members]
    head_spouse = spouse[head]
    older = p.bday[members] < p.bday[head]
    rules = [
        (members == head, "02", "02"),
        ((head_spouse >= 0) & (members == head_spouse), "11", "12"),
        ((mo == head) | (fa == head), "20", "30"),
        ((head_spouse >= 0) & ((mo == head_spouse) | (fa == head_spouse)), "27", "37"),
        (members == father[head], "51", "51"),
        (members == mother[head], "52", "52"),
        ((head_spouse >= 0) & (members == of(father, head_spouse)),
         np.where(p.sex[head] == MALE, "55", "53"), "55"),
        ((head_spouse >= 0) & (members == of(mother, head_spouse)), "56",
         np.where(p.sex[head] == MALE, "56", "54")),
        ((of(mother, fa) == head) | (of(father, fa) == head), "41", "42"),
        ((of(mother, mo) == head) | (of(father, mo) == head), "43", "44"),
        (((mo >= 0) & (mo == mother[head])) | ((fa >= 0) & (fa == father[head])),
         np.where(older, "71", "73"), np.where(older, "75", "77")),
        ((of(mother, spouse[members]) == head) | (of(father, spouse[members]) == head),
         "28", "38"),
    ]  # fmt: skip
    result = np.full(len(members), "97", dtype="<U2")
    done = np.zeros(len(members), dtype=bool)
    for condition, if_male, if_female in rules:
        hit = condition & ~done
        result = np.where(hit, np.where(male, if_male, if_female), result)
        done |= hit
    relation[members] = result
    return relation
