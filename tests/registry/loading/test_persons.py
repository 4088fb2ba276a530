"""Persons (`loading.persons`)."""

from __future__ import annotations

from renkou.registry.loading.loader import load_directory
from renkou.registry.models import Event, Marriage, ParentChild
from tests.conftest import make_id
from tests.registry.loading.data import (
    GROUP2,
    by_key,
    d,
    person,
    write_directory,
)


def test_loaded_values_and_references(cast, family_dir):
    load_directory(family_dir)
    father, mother = by_key("P03"), by_key("P04")
    assert father.id_number == make_id(d(1975, 5, 10), "M", seq=3)
    assert father.unit.code == GROUP2 and father.household.number == "H002"
    assert father.relation_to_head == "02" and father.hukou_type == "agricultural"
    marriage = Marriage.objects.get(source_key="M01")
    assert (marriage.husband, marriage.wife, marriage.start_date) == (
        father,
        mother,
        d(2003, 10, 1),
    )
    assert marriage.unit.code == GROUP2
    birth = Event.objects.get(source_key="E02")
    assert (birth.mother, birth.father, birth.plurality) == (mother, father, 2)
    assert birth.unit.code == GROUP2  # the person's unit by default
    assert birth.state == "active"
    assert Event.objects.get(source_key="E01").marriage == marriage
    link = ParentChild.objects.get(parent=by_key("P01"), child=father)
    assert (link.kind, link.since) == ("biological", d(1975, 5, 10))  # since = the birth date


def test_pinyin_keys(cast, family_dir):
    load_directory(family_dir)
    assert (by_key("P01").name_pinyin, by_key("P01").name_initials) == ("wangjianguo", "wjg")
    # 单 as a surname is Shan.
    assert (by_key("P11").name_pinyin, by_key("P11").name_initials) == ("shantianfang", "stf")


def test_an_id_number_already_registered_for_someone_else_is_rejected(cast, family_dir, tmp_path):
    load_directory(family_dir)
    twin = person("Z01", "王另", "M", d(1975, 5, 10), number=make_id(d(1975, 5, 10), "M", seq=3))
    directory = write_directory(
        tmp_path / "again", persons=[twin], links=[], marriages=[], events=[], households=[]
    )
    report = load_directory(directory)
    assert [(r.key, r.field, r.code) for r in report.rejected] == [
        ("Z01", "id_number", "id_number_registered")
    ]
