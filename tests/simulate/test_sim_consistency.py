"""Internal consistency of a simulated district: the files agree with each other and the format."""

from __future__ import annotations

import datetime
import re
from collections import Counter, defaultdict

import pytest

from renkou.lib import divisions, idnumber
from renkou.lib.codes import ETHNIC_GROUPS, FAMILY_RELATIONS
from renkou.simulate.names import SURNAMES

# docs/data-formats.md, "Registry load directory" — exact column order.
COLUMNS = {
    "units": ["code", "name", "kind", "parent_code"],
    "households": ["household_no", "unit_code", "address"],
    "persons": [
        "person_key", "id_number", "name", "former_names", "sex", "birth_date", "ethnic_group",
        "hukou_type", "hukou_type_since", "hukou_division", "hukou_unit_code",
        "residence_unit_code", "phone", "status", "death_date", "only_child_cert_no",
        "only_child_cert_date", "household_no", "relation_to_head",
    ],
    "parent_child": ["parent_key", "child_key", "kind", "since"],
    "marriages": ["marriage_key", "husband_key", "wife_key", "start_date", "end_date",
                  "end_reason", "husband_kind", "wife_kind"],
    "events": ["event_key", "kind", "date", "person_key", "unit_code", "mother_key",
               "father_key", "place", "plurality", "cause_category", "division_from",
               "division_to", "residence_unit_code", "moves_hukou", "reason", "hukou_type",
               "marriage_key"],
}  # fmt: skip
HAN_NAME = re.compile(r"^[\u4e00-\u9fff]{2,5}$")

TODAY = datetime.date(2025, 12, 31)


def parse_date(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


@pytest.mark.parametrize("name", list(COLUMNS))
def test_columns_match_the_load_format(district, name):
    assert district.header(name) == COLUMNS[name]


def test_about_the_requested_number_of_persons(district):
    assert abs(len(district.rows("persons")) - 6000) / 6000 <= 0.1


def test_keys_are_unique(district):
    for name, key in (
        ("persons", "person_key"),
        ("households", "household_no"),
        ("marriages", "marriage_key"),
        ("events", "event_key"),
        ("units", "code"),
    ):
        values = [row[key] for row in district.rows(name)]
        assert len(values) == len(set(values)), name
        assert all(0 < len(v) <= 64 for v in values)


def test_units_form_a_valid_tree(district):
    units = {row["code"]: row for row in district.rows("units")}
    kinds = Counter(row["kind"] for row in units.values())
    assert kinds["district"] == 1
    assert 8 <= kinds["street"] + kinds["town"] + kinds["township"] <= 15
    for row in units.values():
        level = divisions.KIND_LEVEL[row["kind"]]
        parent = row["parent_code"] or None
        divisions.check_code(row["code"], level=level, parent_code=parent)
        if parent:
            assert parent in units
            assert divisions.KIND_LEVEL[units[parent]["kind"]] == level - 1
        if row["kind"] == "street":
            assert 1 <= int(row["code"][6:9]) <= 99
        if row["kind"] == "town":
            assert 100 <= int(row["code"][6:9]) <= 199
        if row["kind"] == "township":
            assert 200 <= int(row["code"][6:9]) <= 399
        if row["kind"] == "community":
            assert 1 <= int(row["code"][9:12]) <= 199
        if row["kind"] == "village":
            assert 200 <= int(row["code"][9:12]) <= 399
    names = [row["name"] for row in units.values() if row["kind"] in ("village", "community")]
    assert len(names) == len(set(names))


def test_groups_hold_a_realistic_number_of_persons(big_district):
    units = {row["code"]: row for row in big_district.rows("units")}
    per_group = Counter()
    for person in big_district.rows("persons"):
        if person["status"] != "alive":
            continue
        code = person["residence_unit_code"] or person["hukou_unit_code"]
        per_group[code] += 1
    leaves = [code for code, row in units.items() if row["kind"] in ("group", "building")]
    sizes = sorted(per_group[code] for code in leaves)
    median = sizes[len(sizes) // 2]
    assert 100 <= median <= 400
    in_range = sum(60 <= s <= 500 for s in sizes) / len(sizes)
    assert in_range > 0.85


def test_every_id_number_is_valid_and_consistent(district):
    seen = set()
    without = 0
    for row in district.rows("persons"):
        if not row["id_number"]:
            without += 1
            assert parse_date(row["birth_date"]).year >= TODAY.year - 3
            continue
        parsed = idnumber.parse(row["id_number"], today=TODAY)
        assert parsed.number == row["id_number"]
        assert parsed.birth_date == parse_date(row["birth_date"])
        assert parsed.sex == row["sex"]
        assert row["id_number"] not in seen
        seen.add(row["id_number"])
    assert without < 0.01 * len(district.rows("persons"))


def test_natives_have_the_district_region_and_migrants_their_origin(district):
    births = {row["person_key"] for row in district.rows("events") if row["kind"] == "birth"}
    regions = Counter()
    for row in district.rows("persons"):
        if (
            row["id_number"]
            and row["person_key"] in births
            and row["hukou_division"].startswith("510199")
        ):
            regions[row["id_number"][:6]] += 1
    assert regions.most_common(1)[0][0] == "510199"
    floating = [r for r in district.rows("persons")
                if r["status"] == "alive" and not r["hukou_unit_code"]]  # fmt: skip
    assert floating
    assert all(not r["hukou_division"].startswith("510199") for r in floating)


def test_person_fields(district):
    units = {row["code"] for row in district.rows("units")}
    households = {row["household_no"] for row in district.rows("households")}
    for row in district.rows("persons"):
        assert row["sex"] in ("M", "F")
        assert HAN_NAME.match(row["name"]), row["name"]
        assert any(row["name"].startswith(s) for s in SURNAMES)
        assert row["ethnic_group"] in ETHNIC_GROUPS
        assert row["hukou_type"] in ("agricultural", "non_agricultural", "unified")
        assert row["status"] in ("alive", "deceased", "moved_away")
        assert bool(row["death_date"]) == (row["status"] == "deceased")
        assert len(row["hukou_division"]) == 12 and row["hukou_division"].isdigit()
        here = [row["hukou_unit_code"], row["residence_unit_code"]]
        assert any(code in units and len(code) == 15 for code in here if code), row
        if row["household_no"]:
            assert row["household_no"] in households
            assert row["status"] == "alive"
            assert row["relation_to_head"] in FAMILY_RELATIONS
        if row["phone"]:
            assert re.fullmatch(r"1[3-9][0-9]{9}", row["phone"])
        if row["former_names"]:
            assert all(HAN_NAME.match(n) for n in row["former_names"].split("、"))


def test_households_have_one_head_and_members_in_their_unit(district):
    units = {row["code"]: row for row in district.rows("units")}
    by_household = defaultdict(list)
    for row in district.rows("persons"):
        if row["household_no"]:
            by_household[row["household_no"]].append(row)
    for household in district.rows("households"):
        assert units[household["unit_code"]]["kind"] in ("group", "building")
        assert household["household_no"].startswith(household["unit_code"][:12])
        assert household["address"].startswith("锦城区")
        members = by_household[household["household_no"]]
        assert [m["relation_to_head"] for m in members].count("02") == 1
        for member in members:
            assert member["hukou_unit_code"] == household["unit_code"]
    sizes = Counter(len(v) for v in by_household.values())
    mean = sum(k * v for k, v in sizes.items()) / sum(sizes.values())
    assert 1.8 <= mean <= 4.0


def test_relations_are_plausible(district):
    persons = district.persons
    heads = {r["household_no"]: r for r in persons.values() if r["relation_to_head"] == "02"}
    for row in persons.values():
        relation = row["relation_to_head"]
        if relation in ("11", "12"):
            head = heads[row["household_no"]]
            assert head["sex"] != row["sex"]
            assert relation == ("11" if row["sex"] == "M" else "12")
        if relation in ("20", "30"):
            head = heads[row["household_no"]]
            assert parse_date(head["birth_date"]) < parse_date(row["birth_date"])


def test_kinship_parents_older_and_acyclic(district):
    persons = district.persons
    mothers: dict[str, str] = {}
    fathers: dict[str, str] = {}
    for link in district.rows("parent_child"):
        parent, child = persons[link["parent_key"]], persons[link["child_key"]]
        age = (parse_date(child["birth_date"]) - parse_date(parent["birth_date"])).days / 365.25
        assert link["kind"] == "biological"
        assert link["since"] == child["birth_date"]
        if parent["sex"] == "F":
            assert 12 <= age <= 50, (link, age)
            assert child["person_key"] not in mothers
            mothers[child["person_key"]] = parent["person_key"]
        else:
            assert 14 <= age <= 75, (link, age)
            assert child["person_key"] not in fathers
            fathers[child["person_key"]] = parent["person_key"]
    # acyclic: a depth-first search over parent links never meets a person on its own path
    state: dict[str, int] = {}
    for start in persons:
        if start in state:
            continue
        stack = [(start, iter([p for p in (mothers.get(start), fathers.get(start)) if p]))]
        state[start] = 1
        while stack:
            node, parents = stack[-1]
            parent = next(parents, None)
            if parent is None:
                state[node] = 2
                stack.pop()
                continue
            assert state.get(parent) != 1, f"cycle through {parent}"
            if parent not in state:
                state[parent] = 1
                ups = [p for p in (mothers.get(parent), fathers.get(parent)) if p]
                stack.append((parent, iter(ups)))


def test_no_event_after_death_and_births_match_persons(district):
    persons = district.persons
    units = {row["code"] for row in district.rows("units")}
    links = {(r["parent_key"], r["child_key"]) for r in district.rows("parent_child")}
    last_event: dict[str, str] = {}
    for event in district.rows("events"):
        person = persons[event["person_key"]]
        date = event["date"]
        if person["death_date"]:
            assert date <= person["death_date"], event
        assert date >= person["birth_date"], event
        assert date <= TODAY.isoformat()
        last_event[person["person_key"]] = max(last_event.get(person["person_key"], ""), date)
        kind = event["kind"]
        if kind == "birth":
            assert date == person["birth_date"]
            assert event["plurality"] in ("1", "2")
            assert event["place"]
            for role in ("mother_key", "father_key"):
                if event[role]:
                    assert (event[role], person["person_key"]) in links
            if event["mother_key"]:
                assert persons[event["mother_key"]]["sex"] == "F"
        elif kind == "death":
            assert date == person["death_date"]
            assert event["cause_category"]
        elif kind in ("move_in", "move_out"):
            for code in (event["division_from"], event["division_to"]):
                assert len(code) == 12 and code.isdigit() and code != "0" * 12
            assert event["moves_hukou"] in ("0", "1")
            if event["residence_unit_code"]:
                assert event["residence_unit_code"] in units
            assert event["reason"]
        elif kind == "hukou_type":
            assert event["hukou_type"] in ("agricultural", "non_agricultural", "unified")
        else:
            assert event["marriage_key"]
    births = [e for e in district.rows("events") if e["kind"] == "birth"]
    assert births and all(persons[e["person_key"]]["birth_date"] >= "1950" for e in births)


def test_deaths_and_departures_have_their_events(district):
    kinds = defaultdict(set)
    for event in district.rows("events"):
        kinds[event["person_key"]].add(event["kind"])
    for row in district.rows("persons"):
        if row["status"] == "deceased":
            assert "death" in kinds[row["person_key"]]
        if row["status"] == "moved_away":
            assert "move_out" in kinds[row["person_key"]]


def test_hukou_type_agrees_with_its_events(district):
    latest: dict[str, tuple[str, str]] = {}
    for event in district.rows("events"):
        if event["kind"] == "hukou_type":
            latest[event["person_key"]] = (event["date"], event["hukou_type"])
    for row in district.rows("persons"):
        if row["person_key"] in latest:
            date, kind = latest[row["person_key"]]
            assert row["hukou_type"] == kind
            assert row["hukou_type_since"] == date
        else:
            assert not row["hukou_type_since"]


def test_marriages(district):
    persons = district.persons
    parents = defaultdict(set)
    for link in district.rows("parent_child"):
        parents[link["child_key"]].add(link["parent_key"])
    by_person = defaultdict(list)
    events = defaultdict(list)
    for event in district.rows("events"):
        if event["marriage_key"]:
            events[event["marriage_key"]].append(event)
    for row in district.rows("marriages"):
        husband, wife = persons[row["husband_key"]], persons[row["wife_key"]]
        assert husband["sex"] == "M" and wife["sex"] == "F"
        start = parse_date(row["start_date"])
        # Marriage Law 1950: 20/18; Marriage Law 1980 (from 1981): 22/20; earlier ones 16.
        men, women = (
            (22, 20) if start.year >= 1981 else (20, 18) if start.year >= 1950 else (16, 16)
        )
        assert _age(husband["birth_date"], start) >= men, row
        assert _age(wife["birth_date"], start) >= women, row
        assert row["husband_kind"] in ("first", "remarriage")
        if row["end_date"]:
            assert row["end_date"] >= row["start_date"]
            assert row["end_reason"] in ("divorce", "death")
            if row["end_reason"] == "death":
                assert row["end_date"] in (husband["death_date"], wife["death_date"])
        else:
            assert not row["end_reason"]
        assert not parents[row["husband_key"]] & parents[row["wife_key"]], "siblings married"
        for spouse in (husband, wife):
            by_person[spouse["person_key"]].append((row["start_date"], row["end_date"] or "9999"))
        for event in events[row["marriage_key"]]:
            assert event["person_key"] in (row["husband_key"], row["wife_key"])
            expected = row["start_date"] if event["kind"] == "marriage" else row["end_date"]
            assert event["date"] == expected
    for spans in by_person.values():
        spans.sort()
        for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
            assert end <= start, spans


def _age(birth: str, on) -> int:
    born = parse_date(birth)
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def test_only_child_certificates(district):
    persons = district.persons
    children = defaultdict(list)
    for link in district.rows("parent_child"):
        children[link["parent_key"]].append(link["child_key"])
    holders = [p for p in persons.values() if p["only_child_cert_no"]]
    assert holders
    by_number = defaultdict(list)
    for holder in holders:
        by_number[holder["only_child_cert_no"]].append(holder)
        kids = children[holder["person_key"]]
        assert len(kids) <= 1
        if kids:
            born = parse_date(persons[kids[0]]["birth_date"])
            issued = parse_date(holder["only_child_cert_date"])
            assert 1980 <= born.year <= 2015
            assert born <= issued <= born.replace(year=born.year + 4)
    assert all(len(v) <= 2 for v in by_number.values())
    assert all({h["sex"] for h in v} == {"M", "F"} for v in by_number.values() if len(v) == 2)


def test_floating_and_outflow_are_present(district):
    alive = [r for r in district.rows("persons") if r["status"] == "alive"]
    inflow = [r for r in alive if not r["hukou_unit_code"] and r["residence_unit_code"]]
    outflow = [r for r in alive if r["hukou_unit_code"] and not r["residence_unit_code"]]
    assert inflow and outflow
    moved = {e["person_key"] for e in district.rows("events")
             if e["kind"] == "move_in" and e["moves_hukou"] == "0"}  # fmt: skip
    assert sum(r["person_key"] in moved for r in inflow) > 0.5 * len(inflow)


@pytest.mark.parametrize("which", ["district", "big_district"])
def test_replaying_moves_gives_the_final_places(which, request):
    """As renkou.registry.derive replays them: the last move decides the residence, the last
    move that carries the hukou decides the hukou."""
    district = request.getfixturevalue(which)
    last_move: dict[str, str] = {}
    last_hukou_move: dict[str, str] = {}
    for event in district.rows("events"):  # sorted by date; same-day in-before-out
        if event["kind"] in ("move_in", "move_out"):
            last_move[event["person_key"]] = event["kind"]
            if event["moves_hukou"] == "1":
                last_hukou_move[event["person_key"]] = event["kind"]
    checked = 0
    for row in district.rows("persons"):
        key = row["person_key"]
        if row["status"] == "moved_away":
            assert last_move[key] == "move_out"
            assert last_hukou_move.get(key, "move_out") == "move_out"
            continue
        if row["status"] != "alive" or key not in last_move:
            continue
        checked += 1
        assert (last_move[key] == "move_in") == bool(row["residence_unit_code"]), row
        if key in last_hukou_move:
            assert (last_hukou_move[key] == "move_in") == bool(row["hukou_unit_code"]), row
    assert checked > 100
