"""The directories the loader tests load: three generations of the Wang family, an inflow
migrant, an outflow daughter (`write_directory`), and the bad rows mixed into them."""

from __future__ import annotations

import csv
import datetime
import io

from renkou.registry.models import Event, ParentChild, Person
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
