"""`renkou load DIR`: the bulk loader on a small hand-written directory (three generations of
the Wang family, an inflow migrant, an outflow daughter), its rejections, idempotency, Parquet
and GB18030 input."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from renkou.registry.loading.loader import LoadError, load_directory
from renkou.registry.models import Event, Household, Marriage, ParentChild, Person
from tests.conftest import make_id

d = datetime.date

GROUP = "510199001001001"  # 东门社区1栋
GROUP2 = "510199001001002"  # 东门社区2栋
GROUP3 = "510199101201001"  # 青山村一组

PERSON_HEADER = (
    "person_key", "id_number", "name", "former_names", "sex", "birth_date", "ethnic_group",
    "hukou_type", "hukou_type_since", "hukou_division", "hukou_unit_code",
    "residence_unit_code", "phone", "status", "death_date", "only_child_cert_no",
    "only_child_cert_date", "household_no", "relation_to_head",
)  # fmt: skip
EVENT_HEADER = (
    "event_key", "kind", "date", "person_key", "unit_code", "mother_key", "father_key",
    "place", "plurality", "cause_category", "division_from", "division_to",
    "residence_unit_code", "moves_hukou", "reason", "hukou_type", "marriage_key",
)  # fmt: skip


def person(key, name, sex, birth, *, number=None, seq=1, hukou=GROUP, residence=GROUP,
           status="", death="", household="", relation="", division="",
           region="510199"):  # fmt: skip
    if number is None:
        number = make_id(birth, sex, region=region, seq=seq)
    values = {
        "person_key": key, "id_number": number, "name": name, "sex": sex,
        "birth_date": birth.isoformat(), "hukou_unit_code": hukou, "residence_unit_code": residence,
        "status": status, "death_date": death, "household_no": household,
        "relation_to_head": relation, "hukou_division": division, "hukou_type": "agricultural",
    }  # fmt: skip
    return tuple(values.get(column, "") for column in PERSON_HEADER)


def event(key, kind, date, person_key, **extra):
    values = {"event_key": key, "kind": kind, "date": date, "person_key": person_key, **extra}
    return tuple(values.get(column, "") for column in EVENT_HEADER)


HOUSEHOLDS = [
    ("H001", GROUP, "东门社区1栋1单元101"),
    ("H002", GROUP2, "东门社区2栋2单元202"),
    ("H003", GROUP3, "青山村一组5号"),
]
PERSONS = [
    # Generation 1: the grandparents; the grandfather died (no death event: the loader adds it).
    person("P01", "王建国", "M", d(1950, 3, 15), seq=1, status="deceased", death="2020-06-01",
           household="H001", relation="02"),
    person("P02", "李秀英", "F", d(1952, 7, 20), seq=2, household="H001", relation="10"),
    # Generation 2: their son and his wife; their daughter lives elsewhere (outflow).
    person("P03", "王伟", "M", d(1975, 5, 10), seq=3, residence=GROUP2, hukou=GROUP2,
           household="H002", relation="02"),
    person("P04", "张丽", "F", d(1977, 9, 1), seq=4, residence=GROUP2, hukou=GROUP2,
           household="H002", relation="10"),
    person("P05", "王芳", "F", d(1979, 11, 11), seq=5, residence="", household="H001",
           relation="30"),
    # Generation 3: twins, a daughter who died as a baby, a younger daughter.
    person("P06", "王子涵", "M", d(2005, 2, 14), seq=6, residence=GROUP2, hukou=GROUP2,
           household="H002", relation="20"),
    person("P07", "王子轩", "M", d(2005, 2, 14), seq=7, residence=GROUP2, hukou=GROUP2,
           household="H002", relation="20"),
    person("P08", "王小梅", "F", d(2008, 8, 8), seq=8, residence=GROUP2, hukou=GROUP2,
           status="deceased", death="2010-01-01", household="H002", relation="30"),
    person("P09", "王欣怡", "F", d(2012, 12, 12), seq=9, residence=GROUP2, hukou=GROUP2,
           household="H002", relation="30"),
    # An inflow migrant registered in Guangzhou, living in 青山村一组, with his wife.
    person("P10", "刘洋", "M", d(1990, 1, 1), seq=10, region="440106", hukou="",
           residence=GROUP3, division="440106001001", household="H003", relation="02"),
    person("P11", "单田芳", "F", d(1992, 2, 2), seq=11, region="440106", hukou="",
           residence=GROUP3, division="440106001001", household="H003", relation="10"),
]  # fmt: skip
LINKS = [
    ("P01", "P03", "", ""),
    ("P02", "P03", "", ""),
    ("P01", "P05", "", ""),
    ("P02", "P05", "", ""),
    ("P03", "P06", "", ""),
    ("P04", "P06", "", ""),
    ("P03", "P07", "", ""),
    ("P04", "P07", "", ""),
    ("P03", "P08", "", ""),
    ("P04", "P08", "", ""),
    ("P03", "P09", "biological", ""),
]  # fmt: skip  (P04 → P09 comes from the birth event)
MARRIAGES = [("M01", "P03", "P04", "2003-10-01", "", "", "", "")]
EVENTS = [
    event("E01", "marriage", "2003-10-01", "P03", marriage_key="M01"),
    event("E02", "birth", "2005-02-14", "P06", mother_key="P04", father_key="P03",
          plurality="2", place="锦城区妇幼保健院"),
    event("E03", "birth", "2005-02-14", "P07", mother_key="P04", father_key="P03",
          plurality="2"),
    event("E04", "birth", "2008-08-08", "P08", mother_key="P04", father_key="P03"),
    event("E05", "death", "2010-01-01", "P08", cause_category="R99"),
    event("E06", "birth", "2012-12-12", "P09", mother_key="P04", father_key="P03"),
    event("E07", "move_out", "2015-03-01", "P05", division_to="110105000000"),
    event("E08", "move_in", "2016-05-01", "P10", division_from="440106001001",
          residence_unit_code=GROUP3),
    event("E09", "move_in", "2019-09-01", "P10", division_from="440106001001",
          residence_unit_code=GROUP3),
    event("E10", "move_in", "2019-09-01", "P11", residence_unit_code=GROUP3),
]  # fmt: skip

MARRIAGE_HEADER = (
    "marriage_key", "husband_key", "wife_key", "start_date", "end_date", "end_reason",
    "husband_kind", "wife_kind",
)  # fmt: skip


def write_csv(path, header, rows, *, encoding="utf-8"):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def write_directory(directory, *, persons=PERSONS, links=LINKS, marriages=MARRIAGES,
                    events=EVENTS, households=HOUSEHOLDS, encoding="utf-8"):  # fmt: skip
    directory.mkdir(parents=True, exist_ok=True)
    write_csv(directory / "households.csv", ("household_no", "unit_code", "address"), households)
    write_csv(directory / "persons.csv", PERSON_HEADER, persons, encoding=encoding)
    write_csv(directory / "parent_child.csv", ("parent_key", "child_key", "kind", "since"), links)
    write_csv(directory / "marriages.csv", MARRIAGE_HEADER, marriages)
    write_csv(directory / "events.csv", EVENT_HEADER, events)
    return directory


def write_parquet(directory, source):
    """The CSV directory `source` as Parquet, with dates as date32 and plurality as integer."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    directory.mkdir(parents=True, exist_ok=True)
    for path in source.glob("*.csv"):
        if path.name == "rejected.csv":
            continue
        header = path.read_text(encoding="utf-8").splitlines()[0].split(",")
        table = pacsv.read_csv(
            path,
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in header},
                strings_can_be_null=True,
            ),
        )
        columns = {}
        for name in table.column_names:
            column = table.column(name)
            if name.endswith("date") or name == "since":
                column = column.cast(pa.date32())
            elif name == "plurality":
                column = column.cast(pa.int32())
            columns[name] = column
        pq.write_table(pa.table(columns), directory / f"{path.stem}.parquet")
    return directory


def rejected_rows(directory):
    with open(directory / "rejected.csv", encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def snapshot():
    """What the database holds, without ids, to compare two loads."""
    persons = {
        p.source_key: (
            p.id_number, p.name, p.sex, p.birth_date, p.status, p.death_date, p.floating,
            p.floating_since, p.birth_order_mother, p.parity_mother, p.birth_order_couple,
            p.name_pinyin, p.name_initials, p.unit.code, p.household.number if p.household else "",
        )
        for p in Person.objects.select_related("unit", "household")
    }  # fmt: skip
    events = {
        (e.source_key, e.kind, e.date, e.person.source_key, e.unit.code, tuple(e.flags))
        for e in Event.objects.select_related("person", "unit")
    }
    links = {
        (link.parent.source_key, link.child.source_key, link.kind, link.since)
        for link in ParentChild.objects.select_related("parent", "child")
    }
    return persons, events, links


def by_key(key):
    return Person.objects.get(source_key=key)


@pytest.fixture
def family_dir(tmp_path):
    return write_directory(tmp_path / "family")


# --------------------------------------------------------------------------- the good load


def test_load_counts_inserted(cast, family_dir):
    report = load_directory(family_dir)
    assert report.rejected == []
    counts = report.counts
    assert (counts["households"].read, counts["households"].inserted) == (3, 3)
    assert (counts["persons"].read, counts["persons"].inserted) == (11, 11)
    assert (counts["parent_child"].read, counts["parent_child"].inserted) == (11, 11)
    assert report.derived_links == 1  # P04 → P09, from the birth event
    assert (counts["marriages"].read, counts["marriages"].inserted) == (1, 1)
    assert (counts["events"].read, counts["events"].inserted) == (10, 10)
    assert report.derived_deaths == 1
    assert Person.objects.count() == 11
    assert Household.objects.count() == 3
    assert ParentChild.objects.count() == 12
    assert Marriage.objects.count() == 1
    assert Event.objects.count() == 11
    assert report.elapsed > 0
    # rejected.csv is written even when empty: a stale one must not survive.
    assert rejected_rows(family_dir) == []


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


def test_derived_birth_orders(cast, family_dir):
    load_directory(family_dir)
    orders = {
        key: (p.birth_order_mother, p.parity_mother, p.birth_order_couple)
        for key in ("P03", "P05", "P06", "P07", "P08", "P09", "P01")
        for p in [by_key(key)]
    }
    assert orders["P03"] == (1, 1, 1)
    assert orders["P05"] == (2, 2, 2)
    # Twins: children 1 and 2 of delivery 1.
    assert orders["P06"] == (1, 1, 1)
    assert orders["P07"] == (2, 1, 2)
    # The daughter who died as a baby still counts, so the youngest is the fourth child.
    assert orders["P08"] == (3, 2, 3)
    assert orders["P09"] == (4, 3, 4)
    assert orders["P01"] == (None, None, None)  # no mother known


def test_floating_status_and_since(cast, family_dir):
    load_directory(family_dir)
    migrant = by_key("P10")
    assert (migrant.floating, migrant.floating_since) == ("inflow", d(2019, 9, 1))  # the latest
    assert migrant.unit.code == GROUP3 and migrant.hukou_unit is None
    assert migrant.hukou_division == "440106001001"
    daughter = by_key("P05")
    assert (daughter.floating, daughter.floating_since) == ("outflow", d(2015, 3, 1))
    assert daughter.unit.code == GROUP and daughter.residence_unit is None  # the hukou unit
    resident = by_key("P03")
    assert (resident.floating, resident.floating_since) == ("", None)


def test_pinyin_keys(cast, family_dir):
    load_directory(family_dir)
    assert (by_key("P01").name_pinyin, by_key("P01").name_initials) == ("wangjianguo", "wjg")
    # 单 as a surname is Shan.
    assert (by_key("P11").name_pinyin, by_key("P11").name_initials) == ("shantianfang", "stf")


def test_death_event_derived_for_the_deceased(cast, family_dir):
    load_directory(family_dir)
    grandfather = by_key("P01")
    assert grandfather.status == "deceased" and grandfather.death_date == d(2020, 6, 1)
    derived = Event.objects.get(source_key="death:P01")
    assert (derived.kind, derived.date, derived.person, derived.unit) == (
        "death", d(2020, 6, 1), grandfather, grandfather.unit,
    )  # fmt: skip
    # The baby's death is in the events file: no second one.
    assert Event.objects.filter(person=by_key("P08"), kind="death").count() == 1


def test_loading_twice_adds_nothing(cast, family_dir):
    load_directory(family_dir)
    before = (
        Person.objects.count(), Household.objects.count(), ParentChild.objects.count(),
        Marriage.objects.count(), Event.objects.count(),
    )  # fmt: skip
    first = snapshot()
    report = load_directory(family_dir)
    assert report.rejected == []
    for kind in ("households", "persons", "parent_child", "marriages", "events"):
        counts = report.counts[kind]
        assert counts.inserted == 0, kind
        assert counts.present == counts.read, kind
        assert counts.differs == 0, kind
    assert report.derived_deaths == 0 and report.derived_links == 0
    after = (
        Person.objects.count(), Household.objects.count(), ParentChild.objects.count(),
        Marriage.objects.count(), Event.objects.count(),
    )  # fmt: skip
    assert after == before
    assert snapshot() == first


def test_a_changed_row_is_present_and_differs_not_updated(cast, family_dir, tmp_path):
    load_directory(family_dir)
    changed = [row if row[0] != "P09" else (row[0], row[1], "王欣然", *row[3:]) for row in PERSONS]
    second = write_directory(tmp_path / "second", persons=changed)
    report = load_directory(second)
    persons = report.counts["persons"]
    assert (persons.inserted, persons.present, persons.differs, persons.rejected) == (0, 11, 1, 0)
    assert by_key("P09").name == "王欣怡"


def test_new_child_of_a_loaded_mother_is_ordered_after_her_children(cast, family_dir, tmp_path):
    load_directory(family_dir)
    baby = person("P12", "王小宝", "M", d(2016, 6, 6), seq=12, residence=GROUP2, hukou=GROUP2)
    second = write_directory(
        tmp_path / "second",
        persons=[baby],
        links=[("P04", "P12", "", ""), ("P03", "P12", "", "")],
        marriages=[],
        events=[event("E20", "birth", "2016-06-06", "P12", mother_key="P04", father_key="P03")],
        households=[],
    )
    report = load_directory(second)
    assert report.rejected == []
    new = by_key("P12")
    assert (new.birth_order_mother, new.parity_mother, new.birth_order_couple) == (5, 4, 5)


# --------------------------------------------------------------------------- rejections


BAD_ID = make_id(d(1980, 1, 1), "M", seq=21)
WRONG_CHECK = BAD_ID[:-1] + ("0" if BAD_ID[-1] != "0" else "1")
BAD_PERSONS = [
    # X01: wrong check character.
    person("X01", "赵一", "M", d(1980, 1, 1), number=WRONG_CHECK),
    # X02: the ID number says 1980-01-01, the birth date 1980-01-02.
    person("X02", "钱二", "M", d(1980, 1, 2), number=make_id(d(1980, 1, 1), "M", seq=22)),
    # X03: a unit that does not exist.
    person("X03", "孙三", "M", d(1980, 1, 3), seq=23, residence="510199009009009", hukou=""),
    # X04 and X05 are fine; the link says X05 was 11 when X04 was born.
    person("X04", "李四", "M", d(2000, 1, 1), seq=24),
    person("X05", "周五", "F", d(1988, 6, 1), seq=25),
    # X07 (19 at the wedding) and X08 are fine; their marriage is not.
    person("X07", "吴七", "M", d(2000, 1, 1), seq=27),
    person("X08", "郑八", "F", d(1995, 1, 1), seq=28),
    # X09 has P03's ID number.
    person("X09", "王九", "M", d(1975, 5, 10), number=make_id(d(1975, 5, 10), "M", seq=3)),
    # X10 is fine; the link naming X01 (rejected) as the parent is not.
    person("X10", "赵十", "F", d(2010, 1, 1), seq=30),
    # X11: an ID number Excel turned into a float.
    person("X11", "冯十一", "M", d(1980, 1, 11), number="5.10199E+17"),
]  # fmt: skip
BAD_LINKS = [("X05", "X04", "", ""), ("X01", "X10", "", "")]
BAD_MARRIAGES = [("MX", "X07", "X08", "2019-06-01", "", "", "", "")]
BAD_EVENTS = [event("EX1", "move_out", "2021-01-01", "P01", division_to="110105000000")]


@pytest.fixture
def mixed_dir(tmp_path):
    return write_directory(
        tmp_path / "mixed",
        persons=PERSONS + BAD_PERSONS,
        links=LINKS + BAD_LINKS,
        marriages=MARRIAGES + BAD_MARRIAGES,
        events=EVENTS + BAD_EVENTS,
    )


def test_rejected_rows_are_written_with_file_line_key_field_reason(cast, mixed_dir):
    report = load_directory(mixed_dir)
    rows = rejected_rows(mixed_dir)
    assert list(rows[0]) == ["file", "line", "key", "field", "reason"]
    found = {(row["file"], row["key"]): row for row in rows}
    persons_line = {row[0]: number for number, row in enumerate(PERSONS + BAD_PERSONS, start=2)}

    def check(file, key, field, *words):
        row = found[file, key]
        assert row["field"] == field, row
        for word in words:
            assert word in row["reason"], row
        return row

    row = check("persons.csv", "X01", "id_number", "校验码", "check character")
    assert row["line"] == str(persons_line["X01"])
    check("persons.csv", "X02", "id_number", "出生日期", "birth date")
    check("persons.csv", "X03", "residence_unit_code", "510199009009009", "unknown unit")
    check("persons.csv", "X09", "id_number", f"第{persons_line['P03']}行", "also on line")
    check("persons.csv", "X11", "id_number", "Excel", "Excel")
    check("parent_child.csv", "X05>X04", "parent_key", "11岁", "was 11")
    row = check(
        "parent_child.csv", "X01>X10", "parent_key",
        f"人员第{persons_line['X01']}行被拒绝", f"person row {persons_line['X01']} was rejected",
    )  # fmt: skip
    assert row["line"] == str(len(LINKS) + 3)
    check("marriages.csv", "MX", "husband_key", "19岁", "legal age of 22")
    check("events.csv", "EX1", "date", "死亡", "after")
    assert len(rows) == 9
    assert report.counts["persons"].rejected == 5
    assert report.counts["parent_child"].rejected == 2
    assert report.counts["marriages"].rejected == 1
    assert report.counts["events"].rejected == 1


def test_good_rows_are_committed_despite_bad_ones(cast, mixed_dir):
    report = load_directory(mixed_dir)
    assert report.counts["persons"].inserted == 11 + 5  # X04, X05, X07, X08, X10
    assert set(Person.objects.values_list("source_key", flat=True)) == {
        *(row[0] for row in PERSONS), "X04", "X05", "X07", "X08", "X10",
    }  # fmt: skip
    assert not ParentChild.objects.filter(child__source_key__in=["X04", "X10"]).exists()
    assert not Marriage.objects.filter(source_key="MX").exists()
    assert not Event.objects.filter(source_key="EX1").exists()
    assert by_key("P09").birth_order_mother == 4


def test_rows_of_a_rejected_household_and_marriage_are_rejected_too(cast, tmp_path):
    households = [*HOUSEHOLDS, ("H009", "510198001001001", "邻区")]  # the other district: fine
    households[1] = ("H002", "510199009009009", "")  # unknown unit
    directory = write_directory(tmp_path / "cascade", households=households)
    report = load_directory(directory)
    reasons = {(r.file, r.key): r for r in report.rejected}
    assert reasons["households.csv", "H002"].field == "unit_code"
    assert reasons["persons.csv", "P03"].message_en == "household row 3 was rejected"
    # …and so everything that refers to P03 (links, the marriage, the events).
    assert reasons["marriages.csv", "M01"].message_en.startswith("person row")
    assert reasons["events.csv", "E01"].field == "person_key" or (
        reasons["events.csv", "E01"].field == "marriage_key"
    )
    assert Household.objects.filter(number="H009").exists()


def test_unusual_mother_age_is_a_warning_and_a_flag(cast, tmp_path):
    persons = [
        person("Y01", "陈母", "F", d(1960, 1, 1), seq=41),
        person("Y02", "陈子", "M", d(2012, 6, 1), seq=42),  # the mother was 52
    ]
    directory = write_directory(
        tmp_path / "old-mother",
        persons=persons,
        links=[],
        marriages=[],
        events=[event("EY", "birth", "2012-06-01", "Y02", mother_key="Y01")],
        households=[],
    )
    report = load_directory(directory)
    assert report.rejected == []
    assert [w.code for w in report.warnings] == ["mother_age_unusual"]
    assert Event.objects.get(source_key="EY").flags == ["mother_age_unusual"]
    assert ParentChild.objects.filter(parent=by_key("Y01"), child=by_key("Y02")).exists()


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


def test_a_directory_without_persons_is_an_error(cast, tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(LoadError):
        load_directory(tmp_path / "empty")


def test_a_missing_required_column_is_an_error(cast, tmp_path):
    directory = tmp_path / "columns"
    directory.mkdir()
    write_csv(directory / "persons.csv", ("person_key", "name"), [("P1", "王一")])
    with pytest.raises(LoadError) as error:
        load_directory(directory)
    assert "persons.csv" in str(error.value) and "sex" in str(error.value)


# --------------------------------------------------------------------------- formats


def test_parquet_gives_the_same_result_as_csv(cast, family_dir, tmp_path):
    csv_report = load_directory(family_dir)
    from_csv = snapshot()
    Event.objects.all().delete()
    Marriage.objects.all().delete()
    ParentChild.objects.all().delete()
    Person.objects.all().delete()
    Household.objects.all().delete()
    parquet_dir = write_parquet(tmp_path / "parquet", family_dir)
    parquet_report = load_directory(parquet_dir)
    assert parquet_report.rejected == []
    assert snapshot() == from_csv
    for kind in csv_report.counts:
        assert vars(parquet_report.counts[kind]) == vars(csv_report.counts[kind])


def test_parquet_rejections_name_the_row_as_a_csv_line(cast, mixed_dir, tmp_path):
    csv_rejections = [(r.line, r.key, r.field) for r in load_directory(mixed_dir).rejected]
    Event.objects.all().delete()
    Marriage.objects.all().delete()
    ParentChild.objects.all().delete()
    Person.objects.all().delete()
    Household.objects.all().delete()
    parquet_dir = write_parquet(tmp_path / "parquet", mixed_dir)
    assert [(r.line, r.key, r.field) for r in load_directory(parquet_dir).rejected] == (
        csv_rejections
    )


def test_a_gb18030_csv_is_read(cast, tmp_path):
    directory = write_directory(tmp_path / "gbk", encoding="gb18030")
    assert (directory / "persons.csv").read_bytes().decode("gb18030")
    report = load_directory(directory)
    assert report.rejected == []
    assert report.counts["persons"].inserted == 11
    assert by_key("P11").name == "单田芳"


def test_blank_lines_keep_the_line_numbers_right(cast, tmp_path):
    directory = write_directory(tmp_path / "blank", persons=PERSONS + [BAD_PERSONS[0]])
    text = (directory / "persons.csv").read_text(encoding="utf-8")
    lines = text.splitlines()
    (directory / "persons.csv").write_text(
        "\n".join([lines[0], "", *lines[1:]]) + "\n", encoding="utf-8"
    )
    report = load_directory(directory)
    assert [(r.key, r.line) for r in report.rejected] == [("X01", len(PERSONS) + 3)]


def test_units_csv_is_imported_first(cast, tmp_path):
    directory = tmp_path / "units"
    directory.mkdir()
    write_csv(
        directory / "units.csv",
        ("code", "name", "kind", "parent code"),
        [
            ("510199001001003", "东门社区3栋", "building", "510199001001"),
            ("510199001001001", "东门社区1栋", "building", "510199001001"),
        ],
    )
    write_csv(
        directory / "persons.csv",
        PERSON_HEADER,
        [person("U1", "何一", "F", d(1990, 1, 1), seq=51, residence="510199001001003")],
    )
    report = load_directory(directory)
    assert report.rejected == []
    assert (report.counts["units"].inserted, report.counts["units"].present) == (1, 1)
    assert by_key("U1").unit.code == "510199001001003"


# --------------------------------------------------------------------------- the command


def test_command_prints_a_summary_table(cast, family_dir):
    out = io.StringIO()
    call_command("load", str(family_dir), stdout=out)
    text = out.getvalue()
    for label in ("人员 persons", "事件 events", "新增 inserted", "已有 present", "拒绝 rejected"):
        assert label in text
    assert Person.objects.count() == 11


def test_command_dry_run_writes_nothing(cast, mixed_dir):
    out, err = io.StringIO(), io.StringIO()
    call_command("load", str(mixed_dir), "--dry-run", stdout=out, stderr=err)
    assert Person.objects.count() == 0
    assert Event.objects.count() == 0
    assert "dry run" in out.getvalue() or "试运行" in out.getvalue()
    assert len(rejected_rows(mixed_dir)) == 9  # the report is written all the same


def test_command_missing_directory_fails(cast, tmp_path):
    with pytest.raises(CommandError):
        call_command("load", str(tmp_path / "nowhere"), stdout=io.StringIO())


def test_forced_index_rebuild_loads_the_same(cast, family_dir):
    report = load_directory(family_dir, rebuild_indexes=True, batch_size=3)
    assert report.rejected == []
    assert "registry_person" in report.rebuilt_indexes
    assert report.counts["persons"].inserted == 11
    assert by_key("P07").birth_order_mother == 2


def test_bulk_mode_leaves_present_rows_alone_and_inserts_the_new(cast, family_dir, tmp_path):
    load_directory(family_dir)
    counts_before = (Person.objects.count(), Event.objects.count(), ParentChild.objects.count())
    baby = person("P12", "王小宝", "M", d(2016, 6, 6), seq=12, residence=GROUP2, hukou=GROUP2)
    second = write_directory(
        tmp_path / "second",
        persons=[*PERSONS, baby],
        links=[*LINKS, ("P04", "P12", "", ""), ("P03", "P12", "", "")],
        events=[*EVENTS, event("E20", "birth", "2016-06-06", "P12", mother_key="P04")],
    )
    report = load_directory(second, rebuild_indexes=True, batch_size=4)
    assert report.rejected == []
    persons = report.counts["persons"]
    assert (persons.inserted, persons.present) == (1, 11)
    links = report.counts["parent_child"]
    assert (links.inserted, links.present) == (2, 11)
    assert report.counts["events"].inserted == 1
    assert Person.objects.count() == counts_before[0] + 1
    assert Event.objects.count() == counts_before[1] + 1
    assert ParentChild.objects.count() == counts_before[2] + 2
    assert by_key("P12").birth_order_mother == 5
    # A second bulk load of the same adds nothing.
    again = load_directory(second, rebuild_indexes=True)
    assert sum(c.inserted for c in again.counts.values()) == 0


# --------------------------------------------------------------------------- bulk mode, committed


def _foreign_keys_enforced() -> bool:
    from django.db import connection

    if connection.vendor != "sqlite":
        return True
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA foreign_keys")
        return bool(cursor.fetchone()[0])


@pytest.mark.django_db(transaction=True)
def test_bulk_load_outside_a_transaction_checks_references_once(cast, family_dir):
    """Committed loads (the CLI's case): SQLite skips the per-row foreign-key lookups while
    a table is written in bulk mode, checks the table once, and switches them back on."""
    report = load_directory(family_dir, rebuild_indexes=True)
    assert report.rejected == []
    assert set(report.rebuilt_indexes) >= {"registry_person", "registry_event"}
    assert Person.objects.count() == 11 and Event.objects.count() == 11  # + a derived death
    assert _foreign_keys_enforced()


@pytest.mark.django_db(transaction=True)
def test_bulk_mode_rolls_a_table_back_when_a_reference_is_missing(cast):
    """A reference that vanished while loading (here a unit id that never existed) fails the
    table's one check (SQLite) or the re-added foreign key (PostgreSQL): nothing is kept."""
    from django.db import IntegrityError
    from django.utils import timezone

    from renkou.registry.loading.writer import Writer

    now = timezone.now()
    with Writer(rebuild_indexes=True) as writer, pytest.raises(IntegrityError):
        writer.insert(
            "registry_household",
            {
                "number": ["H-X1", "H-X2"],
                "address": ["甲", "乙"],
                "unit_id": [cast.units["group"].pk, 987654],
            },
            constants={"created_at": writer.datetime_value(now)},
        )
    assert not Household.objects.filter(number__startswith="H-X").exists()
    assert _foreign_keys_enforced()


def test_bulk_mode_streams_the_batches_and_copies_an_odd_batch_row_by_row(cast):
    """PostgreSQL copies a bulk-mode table's batches through one COPY; a batch pyarrow cannot
    format (here a number among the addresses) goes row by row and the COPY resumes after."""
    from django.utils import timezone

    from renkou.registry.loading.writer import Writer

    group = cast.units["group"].pk
    with Writer(rebuild_indexes=True, batch_size=2) as writer:
        result = writer.insert(
            "registry_household",
            {
                "number": ["H-S1", "H-S2", "H-S3", "H-S4", "H-S5"],
                "address": ["甲", "乙", 7, "丁", ""],
                "unit_id": [group] * 5,
            },
            constants={"created_at": writer.datetime_value(timezone.now())},
            unique=[("number",)],
        )
    assert result.bulk and result.inserted == 5
    rows = Household.objects.filter(number__startswith="H-S").order_by("number")
    assert list(rows.values_list("number", "address", "unit_id")) == [
        ("H-S1", "甲", group), ("H-S2", "乙", group), ("H-S3", "7", group),
        ("H-S4", "丁", group), ("H-S5", "", group),
    ]  # fmt: skip


def test_bulk_mode_never_keeps_part_of_a_table(cast):
    """A row the database refuses in bulk mode (an id already taken: the loader reserves ids,
    so only a bug could do this) aborts the whole table on PostgreSQL — the batches before it
    included; SQLite skips the row (ON CONFLICT DO NOTHING) and keeps the others."""
    from django.db import IntegrityError, connection
    from django.utils import timezone

    from renkou.registry.loading.writer import Writer

    group = cast.units["group"]
    taken = Household.objects.create(number="H-T0", unit=group).pk
    free = Household.objects.order_by("-pk").first().pk + 100
    data = {
        "id": [free, free + 1, free + 2, taken, free + 3],
        "number": ["H-T1", "H-T2", "H-T3", "H-T4", "H-T5"],
        "address": ["甲", "乙", "丙", "丁", "戊"],
        "unit_id": [group.pk] * 5,
    }
    with Writer(rebuild_indexes=True, batch_size=2) as writer:
        now = writer.datetime_value(timezone.now())
        if connection.vendor == "postgresql":
            with pytest.raises(IntegrityError):
                writer.insert(
                    "registry_household", data, constants={"created_at": now},
                    unique=[("number",)], has_ids=True,
                )  # fmt: skip
            assert not Household.objects.filter(number__in=data["number"]).exists()
        else:
            result = writer.insert(
                "registry_household", data, constants={"created_at": now},
                unique=[("number",)], has_ids=True,
            )  # fmt: skip
            assert result.inserted == 4
            assert not Household.objects.filter(number="H-T4").exists()
    assert Household.objects.filter(number="H-T0").exists()  # the connection still works


def test_bulk_mode_leaves_out_rows_that_would_break_a_unique_index(cast):
    """Bulk mode drops the unique indexes with the others and rebuilds them after: the rows
    that would conflict — with the table, or with an earlier row of the load — are left out
    first (reported by their reserved ids), and the rebuilt index still refuses duplicates."""
    from django.db import IntegrityError, transaction
    from django.utils import timezone

    from renkou.registry.loading.writer import Writer

    group = cast.units["group"]
    Household.objects.create(number="H-U0", unit=group)
    numbers = ["H-U1", "H-U0", "H-U2", "H-U1", "H-U3"]
    with Writer(rebuild_indexes=True, batch_size=2) as writer:
        ids = writer.reserve_ids("registry_household", len(numbers))
        result = writer.insert(
            "registry_household",
            {
                "id": ids,
                "number": numbers,
                "address": list("甲乙丙丁戊"),
                "unit_id": [group.pk] * 5,
            },
            constants={"created_at": writer.datetime_value(timezone.now())},
            unique=[("number",)],
            has_ids=True,
        )
    assert result.bulk and result.inserted == 3
    assert sorted(result.missing_ids) == [ids[1], ids[3]]
    kept = Household.objects.filter(number__startswith="H-U").order_by("number")
    assert list(kept.values_list("number", "address")) == [
        ("H-U0", ""), ("H-U1", "甲"), ("H-U2", "丙"), ("H-U3", "戊"),
    ]  # fmt: skip
    with pytest.raises(IntegrityError), transaction.atomic():
        Household.objects.create(number="H-U2", unit=group)


def test_sqlite_binds_no_none_but_keeps_nulls_apart_from_empty_strings():
    from renkou.registry.loading.sql import sqlite_without_nulls as _sqlite_without_nulls

    columns, marks = _sqlite_without_nulls(
        [["a", None, ""], [3, None, -1], [None, None, "x"], [1, "b", None], ["c", "d", "e"]]
    )
    assert columns == [["a", "\x1f", ""], [3, -2, -1], ["", "", "x"], [1, "b", None],
                       ["c", "d", "e"]]  # fmt: skip
    assert marks == ["NULLIF(?, '\x1f')", "NULLIF(?, -2)", "NULLIF(?, '')", "?", "?"]


def test_a_none_is_written_as_null_and_an_empty_string_as_empty(cast):
    from renkou.registry.loading.writer import Writer

    group = cast.units["group"]
    husbands = [
        Person.objects.create(name=f"甲{i}", sex="M", birth_date=d(1970, 1, i + 1), unit=group)
        for i in range(3)
    ]
    wives = [
        Person.objects.create(name=f"乙{i}", sex="F", birth_date=d(1972, 1, i + 1), unit=group)
        for i in range(3)
    ]
    with Writer(rebuild_indexes=False) as writer:
        result = writer.insert(
            "registry_marriage",
            {
                "source_key": ["M-N1", None, ""],
                "husband_id": [p.pk for p in husbands],
                "wife_id": [p.pk for p in wives],
                "start_date": ["2001-01-01", "2002-02-02", "2003-03-03"],
                "end_date": [None, "2010-01-01", None],
                "end_reason": ["", "divorce", ""],
                "husband_kind": ["first"] * 3,
                "wife_kind": ["first"] * 3,
                "unit_id": [group.pk] * 3,
            },
        )
    assert result.inserted == 3
    rows = Marriage.objects.order_by("start_date").values_list(
        "source_key", "end_date", "end_reason"
    )
    assert list(rows) == [
        ("M-N1", None, ""), (None, d(2010, 1, 1), "divorce"), ("", None, ""),
    ]  # fmt: skip


def test_loading_as_a_user_needs_the_permission_and_sees_only_their_units(cast, family_dir):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        load_directory(family_dir, actor=cast.auditor)
    # A grid worker of 东门社区 knows 东门社区1栋/2栋 but not 青山村一组.
    report = load_directory(family_dir, actor=cast.grid_worker)
    unknown = {r.key for r in report.rejected if r.code == "unknown_unit"}
    assert unknown == {"H003", "P10", "P11"}
    assert report.counts["persons"].inserted == 9
    assert Event.objects.filter(recorded_by=cast.grid_worker).exists()


def test_the_cycle_collector_is_off_during_the_load_and_back_on_after(
    cast, family_dir, monkeypatch
):
    import gc

    from renkou.registry.loading import loader

    seen = []
    check = loader._check

    def spying(*args, **kwargs):
        seen.append(gc.isenabled())
        return check(*args, **kwargs)

    monkeypatch.setattr(loader, "_check", spying)
    assert gc.isenabled()
    load_directory(family_dir)
    assert seen == [False]
    assert gc.isenabled()
    with pytest.raises(LoadError):
        load_directory(family_dir / "nowhere")
    assert gc.isenabled()
