"""Department feeds for the last years, with realistic errors, and the truth behind each row.

Public security (公安: household-registration births, deaths, moves), hospitals (出生医学证明,
GB18030) and civil affairs (民政: marriages, divorces, cremations) each see part of the
district's events, in their own columns and date spellings.  Errors are applied per row at
the rates of an error profile (:data:`renkou.simulate.errors.ERROR_PROFILES`);
``truth/feed_rows.csv`` says, for every line of every file, which registry person, event or
marriage it is about and which errors it carries; ``truth/feed_missing.csv`` lists what a
source should have sent and left out.
"""

from __future__ import annotations

import csv
import datetime
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from renkou.lib.codes import ETHNIC_GROUPS
from renkou.simulate import errors, identity
from renkou.simulate.events import event_key
from renkou.simulate.feed_formats import COLUMNS, FEED_FILES, SPECS, FeedSpec, write_feed
from renkou.simulate.kept import DECEASED, KeptRecords
from renkou.simulate.names import SURNAMES, given_names, surname_probabilities
from renkou.simulate.state import EPOCH, MOVE_IN, NEVER

CHILD_NAME_FILLED = 0.35  # share of birth certificates with the child's name ⚠
FATHER_ON_CERTIFICATE = 0.9  # ⚠
RURAL_BURIAL = 0.4  # rural deaths buried, not cremated (no civil-affairs record) ◐


@dataclass
class Row:
    values: dict
    person: str | None = None
    event: str | None = None
    marriage: str | None = None
    kinds: list[str] = field(default_factory=list)


@dataclass
class FeedResult:
    rows: dict[str, int]
    errors: dict[str, dict[str, int]]
    candidates: dict[str, int]
    missing: int


def _date(day: int) -> datetime.date:
    return EPOCH + datetime.timedelta(days=int(day))


class _People:
    """Python views of the registry columns the feeds need, fetched lazily per row."""

    def __init__(self, reg: KeptRecords) -> None:
        persons = reg.tables["persons"]
        self.reg = reg
        self.name = persons.column("name").to_pylist()
        self.id = [x or "" for x in persons.column("id_number").to_pylist()]
        self.hh = persons.column("household_no").to_pylist()
        self.key = reg.key.to_pylist()
        sim = reg.sim
        p = sim.w.p
        self.sex = np.where(p.sex[reg.kept] == 0, "男", "女")
        self.bday = p.bday[reg.kept]
        self.ethnic = p.ethnic[reg.kept]
        hh = reg.households
        self.address_of_hh = dict(zip(hh.number.to_pylist(), hh.address.to_pylist(), strict=True))
        geo = sim.geo
        group = np.where(reg.hukou_group >= 0, reg.hukou_group, reg.res_group)
        self.village = geo.group_village[np.maximum(group, 0)]
        short = [n.removesuffix("街道").removesuffix("镇").removesuffix("乡")
                 for n in geo.township_names]  # fmt: skip
        self.station = [f"{geo.district_name}公安分局{s}派出所" for s in short]

    def station_of(self, row: int) -> str:
        geo = self.reg.sim.geo
        return self.station[int(geo.village_township[self.village[row]])]

    def place_of(self, row: int) -> str:
        return self.reg.sim.geo.village_full_name(int(self.village[row]))


def build_feeds(
    reg: KeptRecords,
    rng: np.random.Generator,
    out: Path,
    *,
    profile: str = "default",
    years: int = 5,
    headers: str = "zh",
) -> FeedResult:
    if profile not in errors.ERROR_PROFILES:
        raise ValueError(f"unknown error profile {profile!r}")
    rates = errors.ERROR_PROFILES[profile]
    sim = reg.sim
    first_day = (datetime.date(sim.end - years + 1, 1, 1) - EPOCH).days
    last_day = reg.end_day
    people = _People(reg)
    feeds_dir = out / "feeds"
    truth_dir = out / "truth"
    feeds_dir.mkdir(parents=True, exist_ok=True)
    truth_dir.mkdir(parents=True, exist_ok=True)
    period = (first_day, last_day)
    builders = {
        "gongan_births": _gongan_births,
        "gongan_deaths": _gongan_deaths,
        "gongan_moves": _gongan_moves,
        "hospital_birth_certificates": _hospital,
        "minzheng_marriages": _marriages,
        "minzheng_divorces": _divorces,
        "minzheng_deaths": _cremations,
    }
    result = FeedResult(rows={}, errors={}, candidates={}, missing=0)
    with (
        open(truth_dir / "feed_rows.csv", "w", encoding="utf-8", newline="") as truth_file,
        open(truth_dir / "feed_missing.csv", "w", encoding="utf-8", newline="") as missing_file,
    ):
        truth = csv.writer(truth_file, lineterminator="\n")
        truth.writerow(["file", "line", "true_person_key", "true_event_key", "true_marriage_key",
                        "errors"])  # fmt: skip
        missing = csv.writer(missing_file, lineterminator="\n")
        missing.writerow(["file", "true_person_key", "true_event_key", "true_marriage_key",
                          "reason"])  # fmt: skip
        for name, builder in builders.items():
            rows = builder(reg, people, rng, period)
            result.candidates[name] = len(rows)
            rows += _outsiders(name, reg, rng, period, len(rows), rates[name].get("outsider", 0))
            _number(name, rows, rng)
            kept, dropped = _damage(name, rows, rng, rates[name])
            for row in dropped:
                missing.writerow([f"feeds/{name}.csv", row.person or "", row.event or "",
                                  row.marriage or "", "missing"])  # fmt: skip
            result.missing += len(dropped)
            write_feed(feeds_dir / f"{name}.csv", name, [row.values for row in kept], headers)
            counts: dict[str, int] = {}
            for line, row in enumerate(kept, start=2):
                truth.writerow([f"feeds/{name}.csv", line, row.person or "", row.event or "",
                                row.marriage or "", ";".join(row.kinds)])  # fmt: skip
                for kind in row.kinds:
                    base = kind.split(":")[0]
                    counts[base] = counts.get(base, 0) + 1
            result.rows[name] = len(kept)
            result.errors[name] = counts
    return result


# --------------------------------------------------------------------------- sources


def _in(days: np.ndarray, period: tuple[int, int]) -> np.ndarray:
    return (days >= period[0]) & (days <= period[1])


def _parent(reg: KeptRecords, sim_index: int) -> int:
    return int(reg.pos[sim_index]) if sim_index >= 0 else -1


def _gongan_births(reg: KeptRecords, people: _People, rng, period) -> list[Row]:
    p = reg.sim.w.p
    kept = reg.kept
    rows = np.flatnonzero(p.born_here[kept] & p.hk_at_birth[kept] & _in(reg.reg_day, period))
    rows = rows[np.argsort(reg.reg_day[rows], kind="stable")]
    out = []
    serial: dict[int, int] = {}
    for row in rows.tolist():
        who = int(kept[row])
        reg_day = _date(reg.reg_day[row])
        serial[reg_day.year] = serial.get(reg_day.year, 0) + 1
        mother, father = _parent(reg, int(p.mother[who])), _parent(reg, int(p.father[who]))
        hh = people.hh[row] or (people.hh[mother] if mother >= 0 else None)
        values = {
            "reg_no": f"{reg.sim.geo.district_code}{reg_day.year}{serial[reg_day.year]:06d}",
            "name": people.name[row],
            "sex": people.sex[row],
            "birth_date": _date(people.bday[row]),
            "id_number": people.id[row],
            "ethnic_group": ETHNIC_GROUPS.get(f"{int(people.ethnic[row]):02d}", "汉族"),
            "birth_place": reg.sim.places[int(p.place[who])],
            "mother_name": people.name[mother] if mother >= 0 else "",
            "mother_id_number": people.id[mother] if mother >= 0 else "",
            "father_name": people.name[father] if father >= 0 else "",
            "father_id_number": people.id[father] if father >= 0 else "",
            "household_no": hh or "",
            "address": people.address_of_hh.get(hh, "") if hh else "",
            "registration_date": reg_day,
            "police_station": people.station_of(row),
        }
        kinds = ["late"] if reg.reg_day[row] - people.bday[row] > 60 else []
        out.append(Row(values, people.key[row], _event(reg, "birth", row), kinds=kinds))
    return out


def _event(reg: KeptRecords, source: str, index: int) -> str | None:
    rank = int(reg.event_rank[source][index])
    return event_key(rank) if rank >= 0 else None


def _gongan_deaths(reg: KeptRecords, people: _People, rng, period) -> list[Row]:
    p = reg.sim.w.p
    kept = reg.kept
    dead = (reg.status == DECEASED) & (p.hv[kept] >= 0)
    cancel = p.dday[kept].astype(np.int64) + rng.integers(1, 61, len(kept))
    rows = np.flatnonzero(dead & _in(cancel, period))
    out = []
    for row in rows.tolist():
        values = {
            "id_number": people.id[row],
            "name": people.name[row],
            "sex": people.sex[row],
            "birth_date": _date(people.bday[row]),
            "death_date": _date(p.dday[kept[row]]),
            "cancel_date": _date(cancel[row]),
            "cancel_reason": "死亡",
            "address": people.place_of(row),
            "police_station": people.station_of(row),
        }
        out.append(Row(values, people.key[row], _event(reg, "death", row)))
    return out


def _gongan_moves(reg: KeptRecords, people: _People, rng, period) -> list[Row]:
    moves = reg.moves
    rows = reg.pos[moves["person"]]
    is_in = moves["kind"] == MOVE_IN
    residence = is_in & ~moves["moves_hukou"] & ~moves["hukou_after"]
    chosen = np.flatnonzero((moves["moves_hukou"] | residence) & _in(moves["day"], period))
    reasons = np.array(
        ["务工经商", "婚姻迁入", "婚姻迁出", "工作调动", "升学", "投靠亲属", "购房落户", "返乡",
         "迁往外地", "随迁", "返回原籍"]
    )  # fmt: skip
    out = []
    for i in chosen.tolist():
        row = int(rows[i])
        business = "居住登记" if residence[i] else ("迁入" if is_in[i] else "迁出")
        values = {
            "business": business,
            "id_number": people.id[row],
            "name": people.name[row],
            "sex": people.sex[row],
            "birth_date": _date(people.bday[row]),
            "move_date": _date(moves["day"][i]),
            "division_from": str(int(moves["code_from"][i])),
            "division_to": str(int(moves["code_to"][i])),
            "reason": str(reasons[int(moves["reason"][i])]),
            "police_station": people.station_of(row),
        }
        out.append(Row(values, people.key[row], _event(reg, "move", i)))
    return out


def _hospital(reg: KeptRecords, people: _People, rng, period) -> list[Row]:
    sim = reg.sim
    p = sim.w.p
    kept = reg.kept
    place = p.place[kept]
    in_hospital = (place >= 1) & (place < sim.place_county0)
    rows = np.flatnonzero(p.born_here[kept] & in_hospital & _in(p.bday[kept], period))
    rows = rows[np.argsort(p.bday[kept[rows]], kind="stable")]
    n = len(rows)
    twin = p.plurality[kept[rows]] > 1
    male = p.sex[kept[rows]] == 0
    weight = np.where(twin, rng.normal(2450, 400, n), rng.normal(3200, 420, n) + 100 * male)
    weight = (np.clip(weight, 1100, 5200) / 10).round().astype(np.int64) * 10
    weeks = np.clip(np.where(twin, rng.normal(36, 1.5, n), rng.normal(39.2, 1.3, n)), 28, 42)
    named = rng.random(n) < CHILD_NAME_FILLED
    with_father = rng.random(n) < FATHER_ON_CERTIFICATE
    issue = rng.integers(1, 6, n)
    out = []
    for j, row in enumerate(rows.tolist()):
        who = int(kept[row])
        born = _date(people.bday[row])
        mother, father = _parent(reg, int(p.mother[who])), _parent(reg, int(p.father[who]))
        father_ok = father >= 0 and bool(with_father[j])
        values = {
            "cert_no": "",
            "child_name": people.name[row] if named[j] else "",
            "child_sex": people.sex[row],
            "birth_date": born,
            "birth_weight_g": str(int(weight[j])),
            "gestation_weeks": str(int(weeks[j])),
            "mother_name": people.name[mother] if mother >= 0 else "",
            "mother_id_number": people.id[mother] if mother >= 0 else "",
            "father_name": people.name[father] if father_ok else "",
            "father_id_number": people.id[father] if father_ok else "",
            "hospital": sim.places[int(p.place[who])],
            "issue_date": born + datetime.timedelta(days=int(issue[j])),
        }
        out.append(Row(values, people.key[row], _event(reg, "birth", row)))
    return out


def _previous_status(reg: KeptRecords) -> tuple[np.ndarray, np.ndarray]:
    """Marital status before each kept marriage, for husband and wife: 未婚/离婚/丧偶."""
    m = reg.sim.w.m
    rows = reg.marriage_rows
    status = []
    for spouse_col, kind_col in ((m.h, m.hk), (m.w, m.wk)):
        person = spouse_col[: m.n].astype(np.int64)
        order = np.lexsort((m.start[: m.n], person))
        prev = np.full(m.n, -1, dtype=np.int64)
        same = person[order][1:] == person[order][:-1]
        prev[order[1:][same]] = order[:-1][same]
        reason = np.where(prev >= 0, m.reason[np.maximum(prev, 0)], 0)
        text = np.where(kind_col[: m.n] == 0, "未婚", np.where(reason == 1, "离婚", "丧偶"))
        status.append(text[rows])
    return status[0], status[1]


def _marriages(reg: KeptRecords, people: _People, rng, period) -> list[Row]:
    m = reg.sim.w.m
    rows = reg.marriage_rows
    chosen = np.flatnonzero(m.here[rows] & m.reg_here[rows] & _in(m.start[rows], period))
    chosen = chosen[np.argsort(m.start[rows[chosen]], kind="stable")]
    h_status, w_status = _previous_status(reg)
    office = f"{reg.sim.geo.district_name}民政局婚姻登记处"
    out, serial = [], {}
    for i in chosen.tolist():
        row = int(rows[i])
        h, w = int(reg.pos[m.h[row]]), int(reg.pos[m.w[row]])
        day = _date(m.start[row])
        serial[day.year] = serial.get(day.year, 0) + 1
        values = {
            "cert_no": f"J{reg.sim.geo.district_code}-{day.year}-{serial[day.year]:06d}",
            "registration_date": day,
            "husband_name": people.name[h], "husband_id_number": people.id[h],
            "husband_birth_date": _date(people.bday[h]), "husband_status": str(h_status[i]),
            "wife_name": people.name[w], "wife_id_number": people.id[w],
            "wife_birth_date": _date(people.bday[w]), "wife_status": str(w_status[i]),
            "office": office,
        }  # fmt: skip
        out.append(Row(values, people.key[h], _event(reg, "marriage", 2 * i),
                       reg.marriage_keys[i]))  # fmt: skip
    return out


def _divorces(reg: KeptRecords, people: _People, rng, period) -> list[Row]:
    m = reg.sim.w.m
    rows = reg.marriage_rows
    divorced = (m.reason[rows] == 1) & (m.end[rows] != NEVER) & ~m.court[rows]
    chosen = np.flatnonzero(divorced & m.reg_here[rows] & _in(m.end[rows], period))
    chosen = chosen[np.argsort(m.end[rows[chosen]], kind="stable")]
    office = f"{reg.sim.geo.district_name}民政局婚姻登记处"
    out, serial = [], {}
    for i in chosen.tolist():
        row = int(rows[i])
        h, w = int(reg.pos[m.h[row]]), int(reg.pos[m.w[row]])
        day = _date(m.end[row])
        serial[day.year] = serial.get(day.year, 0) + 1
        values = {
            "cert_no": f"L{reg.sim.geo.district_code}-{day.year}-{serial[day.year]:06d}",
            "registration_date": day,
            "husband_name": people.name[h], "husband_id_number": people.id[h],
            "wife_name": people.name[w], "wife_id_number": people.id[w],
            "marriage_date": _date(m.start[row]), "office": office,
        }  # fmt: skip
        out.append(Row(values, people.key[h], _event(reg, "divorce", 2 * i),
                       reg.marriage_keys[i]))  # fmt: skip
    return out


def _cremations(reg: KeptRecords, people: _People, rng, period) -> list[Row]:
    sim = reg.sim
    p = sim.w.p
    kept = reg.kept
    rural = sim.rural[people.village]
    cremated = rng.random(len(kept)) >= np.where(rural, RURAL_BURIAL, 0.02)
    cremation = p.dday[kept].astype(np.int64) + rng.integers(2, 7, len(kept))
    rows = np.flatnonzero((reg.status == DECEASED) & cremated & _in(cremation, period))
    rows = rows[np.argsort(cremation[rows], kind="stable")]
    home = f"{sim.geo.district_name}殡仪馆"
    out = []
    for row in rows.tolist():
        day = _date(cremation[row])
        values = {
            "cremation_no": "",
            "name": people.name[row],
            "sex": people.sex[row],
            "id_number": people.id[row],
            "death_date": _date(p.dday[kept[row]]),
            "cremation_date": day,
            "funeral_home": home,
            "hukou_address": people.place_of(row),
        }
        out.append(Row(values, people.key[row], _event(reg, "death", row)))
    return out


def _outsiders(name: str, reg: KeptRecords, rng, period, n_rows: int, rate: float) -> list[Row]:
    """Rows about people who are not in the registry (non-residents)."""
    count = int(rng.binomial(n_rows, rate)) if rate > 0 and n_rows else 0
    if count == 0:
        return []
    sim = reg.sim
    first, last = period
    day = rng.integers(first, last + 1, count)
    births = name == "hospital_birth_certificates"
    sex = np.ones(count, dtype=np.int64) if births else rng.integers(0, 2, count)
    age = rng.uniform(20, 40, count) if births else rng.uniform(50, 95, count)
    people = _strangers(reg, rng, day, age, sex)
    fathers = _strangers(reg, rng, day, age + rng.normal(2.5, 2, count), np.zeros(count))
    with_father = rng.random(count) < FATHER_ON_CERTIFICATE
    rows = []
    for i in range(count):
        d = _date(day[i])
        name_i, id_i, region_name = people[i]
        if births:
            values = {
                "cert_no": "", "child_name": "", "child_sex": "男" if rng.random() < 0.53 else "女",
                "birth_date": d, "birth_weight_g": str(int(rng.normal(3250, 420) // 10 * 10)),
                "gestation_weeks": str(int(np.clip(rng.normal(39.2, 1.3), 30, 42))),
                "mother_name": name_i, "mother_id_number": id_i,
                "father_name": fathers[i][0] if with_father[i] else "",
                "father_id_number": fathers[i][1] if with_father[i] else "",
                "hospital": sim.places[1 + int(rng.integers(3))],
                "issue_date": d + datetime.timedelta(days=int(rng.integers(1, 6))),
            }  # fmt: skip
        else:
            values = {
                "cremation_no": "", "name": name_i, "sex": "男" if sex[i] == 0 else "女",
                "id_number": id_i, "death_date": d,
                "cremation_date": d + datetime.timedelta(days=int(rng.integers(2, 7))),
                "funeral_home": f"{sim.geo.district_name}殡仪馆", "hukou_address": region_name,
            }  # fmt: skip
        rows.append(Row(values, kinds=["outsider"]))
    return rows


def _strangers(reg: KeptRecords, rng, day, age, sex) -> list[tuple[str, str, str]]:
    """(name, ID number, county name) of people from elsewhere, IDs unlike any in the registry."""
    counties = reg.sim.counties
    count = len(day)
    bday = (day - age * 365.25).astype(np.int64)
    county = rng.choice(len(counties.code6), size=count, p=counties.origin_p)
    if "sorted_first17" not in reg.cache:
        reg.cache["sorted_first17"] = np.sort(reg.first17)
    taken = reg.cache["sorted_first17"]
    first17 = identity.allocate_avoiding(rng, counties.code6[county], bday, sex == 0, taken)
    ids = identity.id_strings(first17).to_pylist()
    surname = rng.choice(len(SURNAMES), size=count, p=surname_probabilities())
    given = given_names().draw(rng, reg.sim.year_of(bday), np.asarray(sex, dtype=np.int64))
    vocab = given_names().vocab
    return [
        (SURNAMES[s] + vocab[g], number, counties.names[c])
        for s, g, number, c in zip(surname, given, ids, county, strict=True)
    ]


def _number(name: str, rows: list[Row], rng) -> None:
    """Certificate and cremation numbers, given once all rows (outsiders too) are known."""
    if name == "hospital_birth_certificates":
        numbers = rng.choice(10_000_000, size=len(rows), replace=False)
        for row, number in zip(rows, numbers.tolist(), strict=True):
            year = row.values["birth_date"].year
            row.values["cert_no"] = f"{'NOPQRSTUVW'[year % 10]}51{number:07d}"
    elif name == "minzheng_deaths":
        serial: dict[int, int] = {}
        for row in sorted(rows, key=lambda r: r.values["cremation_date"]):
            year = row.values["cremation_date"].year
            serial[year] = serial.get(year, 0) + 1
            row.values["cremation_no"] = f"HH{year}{serial[year]:05d}"


# --------------------------------------------------------------------------- errors


_VALUE_ERRORS = ("name_typo", "name_homophone", "date_transposed", "id_check", "id_excel",
                 "id_missing", "id_fullwidth", "id_15")  # fmt: skip


def _damage(name: str, rows: list[Row], rng, rates: dict[str, float]):
    """Drop, damage and duplicate rows at the profile's rates; returns (rows, dropped)."""
    spec = SPECS[name]
    n = len(rows)
    draws = rng.random((n, len(_VALUE_ERRORS) + 2))
    kept, dropped = [], []
    for i, row in enumerate(rows):
        if "outsider" not in row.kinds and draws[i, 0] < rates.get("missing", 0.0):
            dropped.append(row)
            continue
        for j, kind in enumerate(_VALUE_ERRORS):
            if draws[i, j + 2] < rates.get(kind, 0.0):
                _apply(kind, row, spec, rng)
        kept.append(row)
        if draws[i, 1] < rates.get("duplicate", 0.0):
            kept.append(Row(dict(row.values), row.person, row.event, row.marriage,
                            [*row.kinds, "duplicate"]))  # fmt: skip
    field_name = spec.sort_field
    return sorted(kept, key=lambda row: row.values[field_name]), dropped


def _apply(kind: str, row: Row, spec: FeedSpec, rng) -> None:
    values = row.values
    if kind.startswith("name_"):
        fields = [f for f in spec.name_fields if values.get(f)]
        func = errors.typo if kind == "name_typo" else errors.homophone
    elif kind == "date_transposed":
        fields = [f for f in spec.date_fields if isinstance(values.get(f), datetime.date)]
        func = errors.transpose_date
    else:
        fields = [f for f in spec.id_fields if values.get(f)]
        if kind == "id_15":
            fields = fields[:1]
        func = {
            "id_check": errors.wrong_check,
            "id_excel": errors.excel_mangle,
            "id_missing": lambda _rng, _value: "",
            "id_fullwidth": lambda _rng, value: errors.fullwidth(value),
            "id_15": lambda _rng, value: errors.old_15(value),
        }[kind]
    damaged = {kind.partition(":")[2] for kind in row.kinds}
    fields = [f for f in fields if f not in damaged]  # one error per value
    if not fields:
        return
    target = fields[int(rng.integers(len(fields)))]
    damaged = func(rng, values[target])
    if damaged is None or damaged == values[target]:
        return
    values[target] = damaged
    row.kinds.append(f"{kind}:{target}")


__all__ = ["COLUMNS", "FEED_FILES", "SPECS", "FeedResult", "build_feeds"]
