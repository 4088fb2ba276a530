"""ID numbers, names and the error helpers against the shared libraries."""

from __future__ import annotations

import datetime

import numpy as np
import pytest
from pypinyin import lazy_pinyin

from renkou.lib import idnumber
from renkou.simulate import errors, identity, namedata
from renkou.simulate.names import given_names, join_names

TODAY = datetime.date(2025, 12, 31)


def test_vectorised_check_character_equals_the_library():
    rng = np.random.default_rng(1)
    first17 = rng.integers(10**16, 10**17, 20_000)
    checks = identity.check_characters(first17)
    for value, check in zip(first17[:20_000].tolist(), checks.tolist(), strict=True):
        assert check == idnumber.check_character(str(value))


def test_allocated_numbers_are_unique_valid_and_carry_the_sex():
    rng = np.random.default_rng(2)
    n = 30_000
    region = rng.choice([510199, 511302, 500101], n)
    bday = rng.integers(-3000, 300, n)  # a narrow range: many share a birth date
    male = rng.random(n) < 0.5
    numbers = identity.id_strings(identity.allocate(rng, region, bday, male)).to_pylist()
    assert len(set(numbers)) == n
    for number, is_male, day in zip(numbers[:3000], male, bday, strict=False):
        parsed = idnumber.parse(number, today=TODAY)
        assert parsed.sex == ("M" if is_male else "F")
        assert parsed.birth_date == datetime.date(1970, 1, 1) + datetime.timedelta(int(day))
        assert 2 <= int(number[14:17]) <= 999


def test_feed_only_people_never_get_a_registry_number():
    rng = np.random.default_rng(3)
    same = np.full(300, 510199), np.zeros(300, dtype=np.int64), np.ones(300, dtype=bool)
    registry = identity.allocate(rng, *same)
    outsiders = identity.allocate_avoiding(rng, same[0][:150], same[1][:150], same[2][:150],
                                           np.sort(registry[:200]))  # fmt: skip
    assert not set(registry[:200].tolist()) & set(outsiders.tolist())
    assert len(set(outsiders.tolist())) == 150


def test_homophone_groups_share_their_pinyin():
    for group in namedata.HOMOPHONE_GROUPS:
        readings = {lazy_pinyin(char)[0] for char in group}
        assert len(readings) == 1, (group, readings)
    chars = "".join(namedata.HOMOPHONE_GROUPS)
    assert len(chars) == len(set(chars))


def test_homophone_and_typo_change_one_name():
    rng = np.random.default_rng(4)
    changed = errors.homophone(rng, "王丽娟")
    assert changed and changed != "王丽娟" and len(changed) == 3
    assert lazy_pinyin(changed) == lazy_pinyin("王丽娟")
    assert errors.typo(rng, "张子轩") not in (None, "张子轩")


def test_most_names_can_get_a_homophone():
    rng = np.random.default_rng(5)
    byear = rng.integers(1930, 2025, 5000)
    sex = rng.integers(0, 2, 5000)
    surname = rng.integers(0, 100, 5000)
    names = join_names(surname, given_names().draw(rng, byear, sex)).to_pylist()
    ok = sum(errors.homophone(rng, name) is not None for name in names)
    assert ok / len(names) > 0.95


@pytest.mark.parametrize("seed", range(5))
def test_excel_mangling_is_recognised_by_the_library(seed):
    rng = np.random.default_rng(seed)
    number = "510199198807150012"
    mangled = errors.excel_mangle(rng, number)
    with pytest.raises(idnumber.InvalidIdNumber) as caught:
        idnumber.parse(mangled, today=TODAY)
    assert caught.value.code == "excel_mangled"


def test_wrong_check_and_old_numbers():
    rng = np.random.default_rng(6)
    number = identity.one(510199198807150012 // 10)
    with pytest.raises(idnumber.InvalidIdNumber) as caught:
        idnumber.parse(errors.wrong_check(rng, number), today=TODAY)
    assert caught.value.code == "checksum"
    assert idnumber.parse(errors.old_15(number), today=TODAY).number == number
    assert idnumber.parse(errors.fullwidth(number), today=TODAY).number == number


def test_transposed_dates_stay_real_dates():
    rng = np.random.default_rng(7)
    day = datetime.date(2023, 5, 12)
    for _ in range(50):
        moved = errors.transpose_date(rng, day)
        assert moved is not None and moved != day


def test_surname_shares_follow_the_table():
    from renkou.simulate.names import SURNAMES, draw_surnames, surname_probabilities

    drawn = draw_surnames(np.random.default_rng(8), 200_000)
    counts = np.bincount(drawn, minlength=len(SURNAMES)) / len(drawn)
    assert [SURNAMES[i] for i in np.argsort(-counts)[:5]] == list("王李张刘陈")
    assert abs(counts[0] - surname_probabilities()[0]) < 0.003
