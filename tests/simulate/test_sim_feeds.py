"""Department feeds: formats, encodings, error rates of the profiles, and the truth."""

from __future__ import annotations

import math
from collections import Counter, defaultdict

import pytest

from renkou.lib import idnumber
from renkou.lib.formats import parse_date as parse_any_date
from renkou.simulate.errors import ERROR_PROFILES
from renkou.simulate.feeds import COLUMNS, SPECS

FILES = list(COLUMNS)
VALUE_KINDS = ("name_typo", "name_homophone", "date_transposed", "id_check", "id_excel",
               "id_missing", "id_fullwidth", "id_15")  # fmt: skip


def _encoding(name: str) -> str:
    return SPECS[name].encoding


@pytest.mark.parametrize("name", FILES)
def test_headers_and_encoding(district, name):
    raw = (district.out / "feeds" / f"{name}.csv").read_bytes()
    text = raw.decode(_encoding(name))
    assert text.split(SPECS[name].newline)[0] == ",".join(zh for _, zh in COLUMNS[name])
    assert len(district.feed(name, _encoding(name))) > 0


def test_hospital_file_is_gb18030_not_utf8(district):
    raw = (district.out / "feeds" / "hospital_birth_certificates.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert "出生医学证明编号" in raw.decode("gb18030")
    assert b"\r\n" in raw


def test_truth_maps_every_row(district):
    persons = district.persons
    events = {row["event_key"] for row in district.rows("events")}
    marriages = {row["marriage_key"] for row in district.rows("marriages")}
    by_file = defaultdict(list)
    for row in district.truth:
        by_file[row["file"]].append(row)
    for name in FILES:
        rows = by_file[f"feeds/{name}.csv"]
        assert [int(r["line"]) for r in rows] == list(range(2, len(rows) + 2))
        assert len(rows) == len(district.feed(name, _encoding(name)))
        for row in rows:
            kinds = row["errors"].split(";") if row["errors"] else []
            if "outsider" in kinds:
                assert not row["true_person_key"]
                continue
            assert row["true_person_key"] in persons
            assert row["true_event_key"] in events
            if name.startswith("minzheng_m") or name.startswith("minzheng_di"):
                assert row["true_marriage_key"] in marriages


def _truth_by_line(district, name):
    return {int(r["line"]): r for r in district.truth if r["file"] == f"feeds/{name}.csv"}


def test_clean_profile_has_no_errors_and_matches_the_registry(clean_district):
    kinds = Counter()
    for row in clean_district.truth:
        for kind in filter(None, row["errors"].split(";")):
            kinds[kind.split(":")[0]] += 1
    assert set(kinds) <= {"late"}
    assert not clean_district.missing
    persons = clean_district.persons
    births = clean_district.feed("gongan_births")
    truth = _truth_by_line(clean_district, "gongan_births")
    for line, row in enumerate(births, start=2):
        person = persons[truth[line]["true_person_key"]]
        assert row["公民身份号码"] == person["id_number"]
        assert row["姓名"] == person["name"]
        assert parse_any_date(row["出生日期"]).isoformat() == person["birth_date"]
    hospital = clean_district.feed("hospital_birth_certificates", "gb18030")
    truth = _truth_by_line(clean_district, "hospital_birth_certificates")
    mothers = {r["child_key"]: r["parent_key"] for r in clean_district.rows("parent_child")
               if persons[r["parent_key"]]["sex"] == "F"}  # fmt: skip
    for line, row in enumerate(hospital, start=2):
        child = persons[truth[line]["true_person_key"]]
        mother = persons[mothers[child["person_key"]]]
        assert row["母亲有效身份证件号码"] == mother["id_number"]
        assert row["母亲姓名"] == mother["name"]
        assert parse_any_date(row["出生日期"]).isoformat() == child["birth_date"]
        assert row["新生儿姓名"] in ("", child["name"])
    for name in FILES:
        for row in clean_district.feed(name, _encoding(name)):
            for key, value in row.items():
                if "身份" in key and value:
                    idnumber.parse(value, today=parse_any_date("2025-12-31"))


def test_default_profile_error_rates(big_district):
    rates = ERROR_PROFILES["default"]
    observed = Counter()
    expected = Counter()
    candidates = big_district.summary["feeds"]["candidates"]
    for row in big_district.truth:
        for kind in filter(None, row["errors"].split(";")):
            observed[kind.split(":")[0]] += 1
    for name, file_rates in rates.items():
        n = candidates[name]
        for kind, rate in file_rates.items():
            if kind in ("missing", "outsider"):
                continue
            expected[kind] += rate * n
        expected["missing"] += file_rates.get("missing", 0) * n
    observed["missing"] = len(big_district.missing)
    for kind in (*VALUE_KINDS, "duplicate", "missing"):
        exp, obs = expected[kind], observed[kind]
        if exp == 0:
            continue
        sigma = math.sqrt(exp)
        # some errors cannot apply to a given value (an ID ending in X, a 15-digit form of a
        # number born after 1999), so the floor is lower than the ceiling
        assert 0.5 * exp - 4 * sigma - 3 <= obs <= exp + 4 * sigma + 3, (kind, exp, obs)


def test_errors_really_are_in_the_files(big_district):
    truth = {(r["file"], int(r["line"])): r for r in big_district.truth}
    checked = Counter()
    for name in FILES:
        rows = big_district.feed(name, _encoding(name))
        columns = dict(COLUMNS[name])
        for line, row in enumerate(rows, start=2):
            kinds = truth[(f"feeds/{name}.csv", line)]["errors"]
            for item in filter(None, kinds.split(";")):
                kind, _, field = item.partition(":")
                if kind in ("id_check", "id_excel"):
                    value = row[columns[field]]
                    with pytest.raises(idnumber.InvalidIdNumber):
                        idnumber.parse(value, today=parse_any_date("2025-12-31"))
                    checked[kind] += 1
                if kind == "id_missing":
                    assert row[columns[field]] == ""
                    checked[kind] += 1
    assert checked["id_check"] > 0 and checked["id_excel"] > 0


def test_dirty_profile_is_dirtier():
    dirty, default = ERROR_PROFILES["dirty"], ERROR_PROFILES["default"]
    for name in default:
        for kind, rate in default[name].items():
            assert dirty[name][kind] >= rate


def test_late_registrations_and_sources_differ(big_district):
    late = sum("late" in r["errors"] for r in big_district.truth
               if r["file"] == "feeds/gongan_births.csv")  # fmt: skip
    assert late > 0
    missing = Counter(r["file"] for r in big_district.missing)
    assert missing["feeds/minzheng_deaths.csv"] > missing["feeds/gongan_births.csv"]
