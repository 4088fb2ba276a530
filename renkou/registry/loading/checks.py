"""Validation and derivation for the bulk loader, on columns of strings (no ORM per row).

Each kind is checked in load order against what was accepted before it (and what the database
holds): households → persons → parent_child → marriages → events. Rows are kept in parallel
lists indexed by position ("stores"); references between kinds are store indexes, turned into
primary keys only when the rows are written. Dates are ISO strings (`YYYY-MM-DD` orders like
the date), converted to `datetime.date` only where a rule in `renkou.registry.rules` needs one
— the rules are called for the message whenever the quick string test finds a problem, so the
reasons are the rules' own.

A person's store entry is one of NEW (accepted, to insert), PRESENT (accepted, its key is
already in the database: not inserted, not updated), DB (not in the file, read from the
database because a row refers to it) or REJECTED. A row referring to a rejected row is
rejected too, naming the line of the row it depends on.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from renkou.lib import divisions, idnumber
from renkou.lib.codes import ETHNIC_GROUPS, FAMILY_RELATIONS
from renkou.lib.formats import InvalidDate, parse_date
from renkou.lib.pinyin import name_keys
from renkou.registry import rules

from .report import LoadReport, Rejection
from .tables import Table

REJECTED, NEW, PRESENT, DB = 0, 1, 2, 3
CHUNK = 50_000  # rows per progress step while checking

Progress = Callable[[Iterable[Any], int, str], Iterable[Any]]

SEX_CODES = {"M": "M", "F": "F", "m": "M", "f": "F", "男": "M", "女": "F"}
STATUS_CODES = {
    "alive": "alive", "deceased": "deceased", "moved_away": "moved_away",
    "在世": "alive", "健在": "alive", "正常": "alive", "死亡": "deceased", "迁出": "moved_away",
}  # fmt: skip
HUKOU_TYPES = {
    "agricultural": "agricultural", "non_agricultural": "non_agricultural",
    "unified": "unified", "农业": "agricultural", "非农业": "non_agricultural",
    "居民": "unified",
}  # fmt: skip
LINK_KINDS = {
    "": "biological", "biological": "biological", "adopted": "adopted", "step": "step",
    "亲生": "biological", "收养": "adopted", "继": "step",
}  # fmt: skip
EVENT_KINDS = ("birth", "death", "move_in", "move_out", "marriage", "divorce", "hukou_type")
END_REASONS = {"": "", "divorce": "divorce", "death": "death", "离婚": "divorce", "丧偶": "death"}
MARRIAGE_KINDS = {"": "first", "first": "first", "remarriage": "remarriage", "初婚": "first",
                  "再婚": "remarriage"}  # fmt: skip
TRUE_WORDS = {"1", "true", "yes", "y", "t", "是"}
FALSE_WORDS = {"", "0", "false", "no", "n", "f", "否"}

# max_length of the text columns (the database would refuse or, on SQLite, keep longer text).
LIMITS = {
    "person_key": 64, "name": 50, "former_names": 200, "phone": 20,
    "only_child_cert_no": 40, "household_no": 32, "address": 200, "marriage_key": 64,
    "event_key": 64, "place": 100, "cause_category": 40, "reason": 200,
}  # fmt: skip

REQUIRED = {
    "households": ("household_no", "unit_code"),
    "persons": ("person_key", "name", "sex", "birth_date"),
    "parent_child": ("parent_key", "child_key"),
    "marriages": ("marriage_key", "husband_key", "wife_key", "start_date"),
    "events": ("event_key", "kind", "date", "person_key"),
}

_WEIGHTS = np.array((7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2), dtype=np.int64)
_CHECK_CODES = np.frombuffer(b"10X98765432", dtype=np.uint8)


class _Rejected(Exception):
    def __init__(self, field: str, code: str, message_zh: str, message_en: str) -> None:
        super().__init__(message_en)
        self.field = field
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en


# --------------------------------------------------------------------------- small helpers


def iso_date(text: str) -> str:
    """An accepted date spelling as ISO `YYYY-MM-DD`; raises InvalidDate."""
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        try:
            datetime.date.fromisoformat(text)
            return text
        except ValueError:
            pass
    return parse_date(text).isoformat()


def as_date(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


def age_on(birth: str, day: str) -> int:
    """Completed years on `day` (ISO strings), as rules.age_on."""
    years = int(day[:4]) - int(birth[:4])
    return years - 1 if day[5:] < birth[5:] else years


def value_iso(value: Any) -> Any:
    """A date from the database as an ISO string (SQLite and PostgreSQL give date objects)."""
    return value.isoformat() if isinstance(value, datetime.date) else value


def id_checksum_ok(numbers: Any) -> np.ndarray:
    """True where the cell is 17 ASCII digits and the right check character (vectorised over
    the bytes of a pyarrow string array)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not isinstance(numbers, pa.Array):
        numbers = pa.array(list(numbers), pa.string())
    mask = np.zeros(len(numbers), dtype=bool)
    positions = np.flatnonzero(_np(pc.equal(pc.binary_length(numbers), 18)))
    if not len(positions):
        return mask
    picked = pc.take(numbers, pa.array(positions))
    offsets = np.frombuffer(picked.buffers()[1], dtype=np.int32)
    first = offsets[picked.offset]
    data = np.frombuffer(picked.buffers()[2], dtype=np.uint8)
    cells = data[first : first + 18 * len(positions)].reshape(-1, 18)
    digits = cells[:, :17] - np.uint8(48)  # wraps around below "0"
    ok = (digits <= 9).all(axis=1)
    expected = _CHECK_CODES[(digits.astype(np.int64) @ _WEIGHTS) % 11]
    ok &= cells[:, 17] == expected
    mask[positions] = ok
    return mask


EVENT_INPUT = (
    "event_key", "kind", "date", "person_key", "unit_code", "mother_key", "father_key",
    "place", "plurality", "cause_category", "division_from", "division_to",
    "residence_unit_code", "moves_hukou", "reason", "hukou_type", "marriage_key",
)  # fmt: skip
PERSON_INPUT = (
    "person_key", "id_number", "name", "former_names", "sex", "birth_date", "ethnic_group",
    "hukou_type", "hukou_type_since", "hukou_division", "hukou_unit_code",
    "residence_unit_code", "phone", "status", "death_date", "only_child_cert_no",
    "only_child_cert_date", "household_no", "relation_to_head",
)  # fmt: skip


def _np(mask: Any) -> np.ndarray:
    """A pyarrow boolean array as numpy (null counts as False)."""
    import pyarrow.compute as pc

    return pc.fill_null(mask, False).to_numpy(zero_copy_only=False)


def _blank(array: Any) -> np.ndarray:
    import pyarrow.compute as pc

    return _np(pc.equal(array, ""))


def _filled(array: Any) -> np.ndarray:
    return ~_blank(array)


def _at_most(array: Any, limit: int) -> np.ndarray:
    import pyarrow.compute as pc

    return _np(pc.less_equal(pc.utf8_length(array), limit))


def _member(array: Any, values: Sequence[str]) -> np.ndarray:
    import pyarrow as pa
    import pyarrow.compute as pc

    return _np(pc.is_in(array, value_set=pa.array(list(values), pa.string())))


def _iso_dates(array: Any) -> np.ndarray:
    """True where the text is a real date spelled YYYY-MM-DD."""
    import pyarrow.compute as pc

    shaped = _np(pc.match_substring_regex(array, r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"))
    parsed = pc.strptime(array, format="%Y-%m-%d", unit="s", error_is_null=True)
    # strptime rolls 2023-02-29 over to 2023-03-01: compare the round trip.
    again = pc.strftime(parsed, format="%Y-%m-%d")
    return shaped & _np(pc.equal(again, array))


def _day_numbers(array: Any) -> np.ndarray:
    """ISO dates as YYYYMMDD integers (0 where not a date)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    digits = pc.replace_substring(array, "-", "")
    shaped = pc.match_substring_regex(digits, r"^[0-9]{8}$")
    numbers = pc.cast(pc.if_else(shaped, digits, None), pa.int64())
    return pc.fill_null(numbers, 0).to_numpy(zero_copy_only=False)


def _index_in(array: Any, values: Sequence[str]) -> np.ndarray:
    """Position of each cell in `values`, -1 where absent."""
    import pyarrow as pa
    import pyarrow.compute as pc

    value_set = values if isinstance(values, pa.Array) else pa.array(list(values), pa.string())
    at = pc.index_in(array, value_set=value_set)
    return pc.fill_null(at, -1).to_numpy(zero_copy_only=False).astype(np.int64)


def _ids(values: np.ndarray, at: np.ndarray) -> list[int | None]:
    """values[at] as Python ints, None where `at` is -1."""
    import pyarrow as pa

    picked = values[at]
    return pa.array(picked, mask=at < 0).to_pylist()


def pc_if_blank(array: Any, default: str) -> list[str]:
    """The column as a list, `default` where the cell is empty."""
    import pyarrow.compute as pc

    return pc.if_else(pc.equal(array, ""), default, array).to_pylist()


def _none_if_blank(array: Any) -> list[str | None]:
    import pyarrow as pa
    import pyarrow.compute as pc

    return pc.if_else(pc.equal(array, ""), pa.scalar(None, pa.string()), array).to_pylist()


def _problem(error: Any, field_name: str) -> _Rejected:
    return _Rejected(
        field_name, getattr(error, "code", "invalid"), error.message_zh, error.message_en
    )


def required_problem(column: str) -> _Rejected:
    return _Rejected(column, "required", f"缺少必填项 {column}", f"{column} is required")


def too_long(column: str, limit: int) -> _Rejected:
    return _Rejected(
        column,
        "too_long",
        f"{column} 超过{limit}个字符",
        f"{column} is longer than {limit} characters",
    )


def unknown_unit(column: str, code: str) -> _Rejected:
    return _Rejected(
        column,
        "unknown_unit",
        f"未知的单位代码“{code}”（不是本系统的单位）",
        f"unknown unit code '{code}' (not a unit of this system)",
    )


def duplicate(column: str, value: str, first_line: int) -> _Rejected:
    return _Rejected(
        column,
        "duplicate",
        f"{column}“{value}”在文件中重复（第{first_line}行已有）",
        f"{column} '{value}' appears more than once in the file (first on line {first_line})",
    )


def death_key(person_key: str) -> str:
    """The source key of the death event the loader creates for `person_key`."""
    key = f"death:{person_key}"
    if len(key) <= 64:
        return key
    return "death:#" + hashlib.sha256(person_key.encode("utf-8")).hexdigest()[:40]


# --------------------------------------------------------------------------- stores


@dataclass
class Households:
    index: dict[str, int] = field(default_factory=dict)
    state: list[int] = field(default_factory=list)
    line: list[int] = field(default_factory=list)
    pk: list[int | None] = field(default_factory=list)
    unit: list[int] = field(default_factory=list)
    address: list[str] = field(default_factory=list)
    number: list[str] = field(default_factory=list)


@dataclass
class Persons:
    index: dict[str, int] = field(default_factory=dict)
    key: list[str] = field(default_factory=list)
    state: list[int] = field(default_factory=list)
    line: list[int] = field(default_factory=list)
    pk: list[int | None] = field(default_factory=list)
    birth: list[str] = field(default_factory=list)
    death: list[str | None] = field(default_factory=list)
    sex: list[str] = field(default_factory=list)
    status: list[str] = field(default_factory=list)
    unit: list[int | None] = field(default_factory=list)
    # The checked values of the file's rows, one list per PERSON_VALUES column (only the
    # NEW rows' values are written).
    columns: list[list[Any]] = field(default_factory=list)
    household: list[int | None] = field(default_factory=list)  # Households index
    floating: list[str] = field(default_factory=list)
    # Derived, filled after links and events are checked (NEW persons only).
    floating_since: dict[int, str] = field(default_factory=dict)
    orders: dict[int, tuple[int | None, int | None, int | None]] = field(default_factory=dict)

    def add(self, key: str, state: int, line: int, **values: Any) -> int:
        position = len(self.key)
        self.key.append(key)
        self.state.append(state)
        self.line.append(line)
        self.pk.append(values.get("pk"))
        self.birth.append(values.get("birth", ""))
        self.death.append(values.get("death"))
        self.sex.append(values.get("sex", ""))
        self.status.append(values.get("status", "alive"))
        self.unit.append(values.get("unit"))
        self.household.append(values.get("household"))
        self.floating.append(values.get("floating", ""))
        return position


# Order of Persons.columns (the columns the person file supplies, after checking).
PERSON_VALUES = (
    "source_key", "id_number", "name", "former_names", "name_pinyin", "name_initials", "sex",
    "birth_date", "ethnic_group", "hukou_type", "hukou_type_since", "hukou_division", "phone",
    "status", "death_date", "floating", "only_child_cert_no", "only_child_cert_date",
    "relation_to_head", "hukou_unit_id", "residence_unit_id", "unit_id",
)  # fmt: skip


@dataclass
class Marriages:
    index: dict[str, int] = field(default_factory=dict)
    state: list[int] = field(default_factory=list)
    line: list[int] = field(default_factory=list)
    pk: list[int | None] = field(default_factory=list)
    husband: list[int] = field(default_factory=list)  # Persons index
    wife: list[int] = field(default_factory=list)
    start: list[str] = field(default_factory=list)
    values: list[tuple | None] = field(default_factory=list)  # NEW only
    unit: list[int | None] = field(default_factory=list)


@dataclass
class _PersonArrays:
    size: int
    state: np.ndarray  # int8
    birth: np.ndarray  # YYYYMMDD as int (0: unknown)
    death: np.ndarray  # YYYYMMDD as int (0: alive)
    female: np.ndarray
    male: np.ndarray
    deceased: np.ndarray


@dataclass(slots=True)
class Link:
    parent: int
    child: int
    kind: str
    since: str | None
    line: int
    derived: bool = False  # implied by a birth event, not a row of parent_child


@dataclass(slots=True)
class EventRow:
    key: str
    kind: str
    date: str
    person: int
    unit: int | None
    mother: int | None = None
    father: int | None = None
    place: str = ""
    plurality: int = 1
    cause_category: str = ""
    division_from: str = ""
    division_to: str = ""
    residence_unit: int | None = None
    moves_hukou: bool = False
    hukou_type: str = ""
    reason: str = ""
    marriage: int | None = None
    flags: list[str] = field(default_factory=list)
    line: int = 0
    state: int = NEW


# --------------------------------------------------------------------------- the checker


class Checker:
    """Checks the tables of one load directory; see the module docstring."""

    def __init__(
        self,
        *,
        report: LoadReport,
        writer: Any,
        units: dict[str, tuple[int, bool]],
        progress: Progress | None = None,
        today: datetime.date | None = None,
    ) -> None:
        self.report = report
        self.writer = writer
        self.units = units  # code → (id, open)
        self.progress = progress
        self.today = (today or datetime.date.today()).isoformat()
        self.households = Households()
        self.persons = Persons()
        self.marriages = Marriages()
        self.links: list[Link] = []
        self.events: list[EventRow] = []
        self.files: dict[str, str] = {}  # kind → file name
        self._rejected_rows: dict[str, set[int]] = defaultdict(set)
        self._mother_of: dict[int, int] = {}  # child → mother (Persons indexes)
        self._father_of: dict[int, int] = {}
        self._death_event_for: set[int] = set()  # persons with a death row (even rejected)
        self._resolved: dict[tuple[str, str], np.ndarray] = {}

    # --- rejections ----------------------------------------------------------------------

    def reject(self, table: Table, index: int, key: str, problem: _Rejected) -> None:
        self.report.rejected.append(
            Rejection(
                file=table.file,
                line=table.line(index),
                key=key,
                field=problem.field,
                code=problem.code,
                message_zh=problem.message_zh,
                message_en=problem.message_en,
            )
        )
        self._rejected_rows[table.kind].add(table.line(index))

    def warn(self, table: Table, index: int, key: str, problem: rules.Problem) -> None:
        self.report.warnings.append(
            Rejection(
                file=table.file,
                line=table.line(index),
                key=key,
                field=problem.field,
                code=problem.code,
                message_zh=problem.message_zh,
                message_en=problem.message_en,
            )
        )

    def rejected_count(self, kind: str) -> int:
        return len(self._rejected_rows[kind])

    def _unit(self, column: str, code: str, *, must_be_open: bool = True) -> int:
        found = self.units.get(code)
        if found is None:
            found = self.units.get(divisions.normalise_code(code))
        if found is None:
            raise unknown_unit(column, code)
        unit_id, is_open = found
        if must_be_open and not is_open:
            raise _Rejected(
                column,
                "closed_unit",
                f"单位“{code}”已撤销",
                f"the unit '{code}' has been closed",
            )
        return unit_id

    def _person(self, column: str, key: str) -> int:
        """The Persons index for a key in a row of another file, or _Rejected."""
        position = self.persons.index.get(key)
        if position is None:
            raise _Rejected(
                column, "unknown_person", f"未知的人员“{key}”", f"unknown person '{key}'"
            )
        if self.persons.state[position] == REJECTED:
            line = self.persons.line[position]
            raise _Rejected(
                column,
                "person_rejected",
                f"人员第{line}行被拒绝",
                f"person row {line} was rejected",
            )
        return position

    # --- households --------------------------------------------------------------------------

    def check_households(
        self, table: Table | None, person_numbers: Callable[[], Iterable[str]]
    ) -> None:
        """`person_numbers()` gives the household numbers the persons file names (only asked
        for when the database holds households)."""
        store = self.households
        existing: dict[str, tuple] = {}
        if self.writer.count("registry_household"):
            wanted = set(person_numbers())
            if table is not None:
                wanted.update(table.get("household_no"))
            existing = {
                number: (pk, unit_id, address)
                for pk, number, unit_id, address in self.writer.fetch_in(
                    "registry_household", ("id", "number", "unit_id", "address"), "number", wanted
                )
            }
        if table is not None:
            self._household_rows(table, existing)
        for number, (pk, unit_id, _address) in existing.items():
            if number not in store.index:
                self._add_household(number, DB, 0, pk, unit_id, "")

    def _household_rows(self, table: Table, existing: dict[str, tuple]) -> None:
        store = self.households
        self.files["households"] = table.file
        counts = self.report.counts["households"]
        n = counts.read = table.rows
        numbers, codes, addresses = (
            table.array(name) for name in ("household_no", "unit_code", "address")
        )
        open_codes = [code for code, (_pk, is_open) in self.units.items() if is_open]
        unit_ids = np.array([self.units[code][0] for code in open_codes] + [0], dtype=np.int64)
        unit_at = _index_in(codes, open_codes)
        ok = _filled(numbers) & _at_most(numbers, LIMITS["household_no"])
        ok &= (unit_at >= 0) & _at_most(addresses, LIMITS["address"])
        number_list = table.get("household_no")
        index = dict(zip(reversed(number_list), range(n - 1, -1, -1), strict=True))
        duplicates: set[int] = set()
        if len(index) != n:
            duplicates = {i for i, number in enumerate(number_list) if index[number] != i}
        index.pop("", None)
        store.index = index
        store.number = number_list
        store.state = [NEW] * n
        store.line = [table.line(i) for i in range(n)] if table.lines else list(range(2, n + 2))
        store.pk = [None] * n
        store.unit = _ids(unit_ids, unit_at)
        store.address = table.get("address")
        for span in self._spans(sorted(set(np.flatnonzero(~ok).tolist()) | duplicates), "户"):
            for i in span:
                number = number_list[i]
                try:
                    if i in duplicates:
                        raise duplicate("household_no", number, table.line(index[number]))
                    store.unit[i] = self._household_row(number, *self._row_cells(
                        table, i, ("unit_code", "address")
                    ))  # fmt: skip
                except _Rejected as problem:
                    self.reject(table, i, number, problem)
                    store.state[i] = REJECTED
        for number, (pk, unit_id, address) in existing.items():
            position = index.get(number)
            if position is None or store.state[position] == REJECTED:
                continue
            store.state[position] = PRESENT
            counts.present += 1
            if store.unit[position] != unit_id or store.address[position] != (address or ""):
                counts.differs += 1
            store.pk[position] = pk
            store.unit[position] = unit_id
        counts.rejected = self.rejected_count("households")

    def _household_row(self, number: str, unit_code: str, address: str) -> int:
        """The unit id of a household row the quick checks flagged, or _Rejected."""
        if not number:
            raise required_problem("household_no")
        if len(number) > LIMITS["household_no"]:
            raise too_long("household_no", LIMITS["household_no"])
        if not unit_code:
            raise required_problem("unit_code")
        unit_id = self._unit("unit_code", unit_code)
        if len(address) > LIMITS["address"]:
            raise too_long("address", LIMITS["address"])
        return unit_id

    def _add_household(
        self, number: str, state: int, line: int, pk: int | None, unit: int, address: str
    ) -> None:
        store = self.households
        store.index[number] = len(store.state)
        store.number.append(number)
        store.state.append(state)
        store.line.append(line)
        store.pk.append(pk)
        store.unit.append(unit)
        store.address.append(address)

    # --- persons -------------------------------------------------------------------------------

    def check_persons(self, table: Table) -> None:
        """Vectorised checks (pyarrow.compute) decide the common case; a row any of them flags
        goes through `_person_row`, which gives the exact reason or the normalised values."""
        import pyarrow.compute as pc

        self.files["persons"] = table.file
        store = self.persons
        counts = self.report.counts["persons"]
        n = counts.read = table.rows
        column = table.array
        today = self.today

        keys, names, sex, birth = (column(c) for c in ("person_key", "name", "sex", "birth_date"))
        numbers, death, status = column("id_number"), column("death_date"), column("status")
        hukou_codes, residence_codes = column("hukou_unit_code"), column("residence_unit_code")
        household_numbers = column("household_no")
        ok = _filled(keys) & _at_most(keys, 64) & _filled(names) & _at_most(names, 50)
        ok &= _at_most(column("former_names"), 200) & _at_most(column("phone"), 20)
        ok &= _at_most(column("only_child_cert_no"), 40)
        ok &= _member(sex, ("M", "F"))
        ok &= _iso_dates(birth) & _np(pc.less_equal(birth, today))
        compact = pc.replace_substring(birth, "-", "")
        male = _np(pc.equal(sex, "M"))
        odd = _member(pc.utf8_slice_codeunits(numbers, 16, 17), tuple("13579"))
        ok &= _blank(numbers) | (
            id_checksum_ok(numbers)
            & _np(pc.equal(pc.utf8_slice_codeunits(numbers, 6, 14), compact))
            & (odd == male)
            & _np(pc.greater_equal(birth, "1850-01-01"))
        )
        ethnic = column("ethnic_group")
        ok &= _blank(ethnic) | _member(ethnic, tuple(ETHNIC_GROUPS))
        ok &= _blank(column("hukou_type")) | _member(
            column("hukou_type"), ("agricultural", "non_agricultural", "unified")
        )
        for name in ("hukou_type_since", "only_child_cert_date"):
            ok &= _blank(column(name)) | _iso_dates(column(name))
        division = column("hukou_division")
        ok &= _blank(division) | _np(pc.match_substring_regex(division, r"^[0-9]{12}$"))
        open_codes = [code for code, (_pk, is_open) in self.units.items() if is_open]
        unit_ids = np.array([self.units[code][0] for code in open_codes] + [0], dtype=np.int64)
        hukou_at = _index_in(hukou_codes, open_codes)
        residence_at = _index_in(residence_codes, open_codes)
        no_hukou, no_residence = _blank(hukou_codes), _blank(residence_codes)
        ok &= (no_hukou | (hukou_at >= 0)) & (no_residence | (residence_at >= 0))
        ok &= ~(no_hukou & no_residence)
        no_status, no_death = _blank(status), _blank(death)
        deceased = _np(pc.equal(status, "deceased"))
        ok &= no_status | _member(status, ("alive", "deceased", "moved_away"))
        ok &= np.where(
            no_death,
            ~deceased,
            (no_status | deceased)
            & _iso_dates(death)
            & _np(pc.greater_equal(death, birth))
            & _np(pc.less_equal(death, today)),
        )
        households = self.households
        usable = [
            number
            for number, position in households.index.items()
            if households.state[position] != REJECTED
        ]
        household_at = _index_in(household_numbers, usable)
        ok &= _blank(household_numbers) | (household_at >= 0)
        relation = column("relation_to_head")
        ok &= _blank(relation) | _member(relation, tuple(FAMILY_RELATIONS))

        # The columns as inserted (the fast rows' values; slow rows are patched below).
        key_list = table.get("person_key")
        floating = np.where(
            no_residence, "outflow", np.where(no_hukou, "inflow", "")
        ).tolist()  # both missing: rejected anyway
        hukou_unit = _ids(unit_ids, hukou_at)
        residence_unit = _ids(unit_ids, residence_at)
        unit = _ids(unit_ids, np.where(residence_at >= 0, residence_at, hukou_at))
        name_list = table.get("name")
        birth_list = birth.to_pylist()
        death_list = _none_if_blank(death)
        status_list = pc.if_else(
            no_status, pc.if_else(no_death, "alive", "deceased"), status
        ).to_pylist()
        sex_list = sex.to_pylist()
        number_list = _none_if_blank(numbers)
        pinyin, initials = self._pinyin(names)
        usable_positions = np.array([households.index[number] for number in usable] + [-1])
        household_list = _ids(usable_positions, household_at)
        output = [
            key_list, number_list, name_list, table.get("former_names"), pinyin, initials,
            sex_list, birth_list, pc.if_else(_blank(ethnic), "01", ethnic).to_pylist(),
            table.get("hukou_type"), _none_if_blank(column("hukou_type_since")),
            division.to_pylist(), table.get("phone"), status_list, death_list, floating,
            table.get("only_child_cert_no"), _none_if_blank(column("only_child_cert_date")),
            relation.to_pylist(), hukou_unit, residence_unit, unit,
        ]  # fmt: skip

        # First occurrence of a key wins; later ones are rejected.
        index: dict[str, int] = dict(zip(reversed(key_list), range(n - 1, -1, -1), strict=True))
        state = [NEW] * n
        duplicates: set[int] = set()
        if len(index) != n:
            duplicates = {i for i, key in enumerate(key_list) if key and index[key] != i}
        index.pop("", None)

        pinyin_cache: dict[str, tuple[str, str]] = {}
        slow = np.flatnonzero(~ok).tolist()
        progress_rows = sorted(set(slow) | duplicates)
        steps = self._spans(progress_rows, "检查人员 checking persons")
        households_of = household_list
        for span in steps:
            for i in span:
                key = key_list[i]
                if i in duplicates:
                    self.reject(table, i, key, duplicate("person_key", key, table.line(index[key])))
                    state[i] = REJECTED
                    continue
                try:
                    values, household = self._person_row(
                        self._row_cells(table, i, PERSON_INPUT), today, pinyin_cache
                    )
                except _Rejected as problem:
                    self.reject(table, i, key, problem)
                    state[i] = REJECTED
                    continue
                for j, value in enumerate(values):
                    output[j][i] = value
                households_of[i] = household
        # Store the persons, then let the database overrule the present ones.
        store.index = index
        store.key = key_list
        store.state = state
        store.line = [table.line(i) for i in range(n)] if table.lines else list(range(2, n + 2))
        store.pk = [None] * n
        store.birth = output[7]
        store.death = output[14]
        store.sex = output[6]
        store.status = output[13]
        store.unit = output[21]
        store.household = households_of
        store.floating = output[15]
        store.columns = output
        existing = self.writer.fetch_in(
            "registry_person",
            (
                "id", "source_key", "id_number", "name", "sex", "birth_date", "death_date",
                "status", "unit_id", "hukou_unit_id", "residence_unit_id",
            ),
            "source_key",
            key_list,
        )  # fmt: skip
        for found in existing:
            position = index[found[1]]
            if state[position] == REJECTED:
                continue
            values = tuple(column[position] for column in output)
            state[position] = PRESENT
            counts.present += 1
            if self._person_differs(values, found):
                counts.differs += 1
            store.pk[position] = found[0]
            store.birth[position] = value_iso(found[5])
            store.death[position] = value_iso(found[6])
            store.sex[position] = found[4]
            store.status[position] = found[7]
            store.unit[position] = found[8]
        self._check_numbers(table, output[1])
        counts.rejected = self.rejected_count("persons")

    def _steps(self, n: int, description: str) -> Iterable[tuple[int, int]]:
        """(start, end) of row chunks, through the progress bar if there is one."""
        spans = [(start, min(start + CHUNK, n)) for start in range(0, n, CHUNK)]
        if self.progress is not None and spans:
            return self.progress(spans, len(spans), description)
        return spans

    def _spans(self, rows: list[int], description: str) -> Iterable[list[int]]:
        spans = [rows[start : start + CHUNK] for start in range(0, len(rows), CHUNK)]
        if self.progress is not None and spans:
            return self.progress(spans, len(spans), description)
        return spans

    @staticmethod
    def _row_cells(table: Table, index: int, names: Sequence[str]) -> tuple[str, ...]:
        return tuple(table.array(name)[index].as_py() for name in names)

    def _pinyin(self, names: Any) -> tuple[list[str], list[str]]:
        """(pinyin, initials) columns, computing each distinct name once."""
        import pyarrow as pa
        import pyarrow.compute as pc

        distinct = pc.unique(names)
        keys = [name_keys(name) for name in distinct.to_pylist()]
        at = pc.index_in(names, value_set=distinct)
        pinyin = pa.array([k[0] for k in keys], pa.string()).take(at).to_pylist()
        initials = pa.array([k[1] for k in keys], pa.string()).take(at).to_pylist()
        return pinyin, initials

    def _check_numbers(self, table: Table, numbers: list[str | None]) -> None:
        """An ID number may appear once in the file (the first accepted row keeps it) and must
        not belong to another person in the database."""
        store = self.persons
        state = store.state
        distinct = set(numbers)
        distinct.discard(None)
        if len(distinct) != len(numbers) - numbers.count(None):
            first: dict[str, int] = {}
            for i, number in enumerate(numbers):
                if number is None or state[i] == REJECTED:
                    continue
                j = first.setdefault(number, i)
                if j != i:
                    line = store.line[j]
                    self.reject(
                        table,
                        i,
                        store.key[i],
                        _Rejected(
                            "id_number",
                            "duplicate_id_number",
                            f"身份证号与第{line}行重复",
                            f"the ID number is also on line {line}",
                        ),
                    )
                    state[i] = REJECTED
        self._check_numbers_in_database(table, numbers, distinct)

    def _person_row(
        self,
        row: tuple[str, ...],
        today: str,
        pinyin_cache: dict[str, tuple[str, str]],
    ) -> tuple[tuple, int | None]:
        (
            key, number, name, former_names, sex, birth, ethnic, hukou_type, hukou_type_since,
            hukou_division, hukou_unit_code, residence_unit_code, phone, status, death,
            cert_no, cert_date, household_no, relation,
        ) = row  # fmt: skip
        if not key:
            raise required_problem("person_key")
        if len(key) > 64:
            raise too_long("person_key", 64)
        if not name:
            raise required_problem("name")
        if len(name) > 50:
            raise too_long("name", 50)
        if len(former_names) > 200:
            raise too_long("former_names", 200)
        code = SEX_CODES.get(sex)
        if code is None:
            if not sex:
                raise required_problem("sex")
            raise _Rejected(
                "sex", "sex", f"性别“{sex}”无效：应为 M 或 F（男/女）",
                f"invalid sex '{sex}': use M or F (男/女)",
            )  # fmt: skip
        sex = code
        if not birth:
            raise required_problem("birth_date")
        try:
            birth = iso_date(birth)
        except InvalidDate as error:
            raise _problem(error, "birth_date") from None
        if birth > today:
            raise _Rejected(
                "birth_date", "future", "出生日期晚于今天", "the birth date is in the future"
            )
        # ID number: the common case (18 ASCII characters, right checksum, agreeing with the
        # birth date and sex) is decided here; anything else goes through the rules.
        if number:
            problems = rules.check_id_number(number, as_date(birth), sex)
            if problems:
                first = problems[0]
                raise _Rejected(first.field, first.code, first.message_zh, first.message_en)
            number = idnumber.parse(number).number
        if ethnic:
            if len(ethnic) == 1 and ethnic.isdigit():
                ethnic = "0" + ethnic
            if ethnic not in ETHNIC_GROUPS:
                raise _Rejected(
                    "ethnic_group", "ethnic_group", f"民族代码“{ethnic}”无效（GB 3304）",
                    f"invalid ethnic group code '{ethnic}' (GB 3304)",
                )  # fmt: skip
        else:
            ethnic = "01"
        if hukou_type:
            value = HUKOU_TYPES.get(hukou_type)
            if value is None:
                raise _Rejected(
                    "hukou_type", "hukou_type", f"户口性质“{hukou_type}”无效",
                    f"invalid hukou_type '{hukou_type}' (agricultural, non_agricultural, unified)",
                )  # fmt: skip
            hukou_type = value
        hukou_type_since = self._optional_date("hukou_type_since", hukou_type_since)
        if hukou_division:
            hukou_division = divisions.normalise_code(hukou_division)
            if len(hukou_division) != 12 or not hukou_division.isdigit():
                raise _Rejected(
                    "hukou_division", "division", f"户籍地区划代码“{hukou_division}”应为12位数字",
                    f"hukou_division '{hukou_division}' must be 12 digits",
                )  # fmt: skip
        hukou_unit = self._unit("hukou_unit_code", hukou_unit_code) if hukou_unit_code else None
        residence_unit = (
            self._unit("residence_unit_code", residence_unit_code) if residence_unit_code else None
        )
        if hukou_unit is None and residence_unit is None:
            raise _Rejected(
                "hukou_unit_code",
                "no_unit",
                "户籍单位代码（hukou_unit_code）和居住单位代码（residence_unit_code）至少填一个",
                "at least one of hukou_unit_code and residence_unit_code is required",
            )
        if len(phone) > 20:
            raise too_long("phone", 20)
        if status:
            value = STATUS_CODES.get(status)
            if value is None:
                raise _Rejected(
                    "status", "status", f"状态“{status}”无效（alive、deceased、moved_away）",
                    f"invalid status '{status}' (alive, deceased, moved_away)",
                )  # fmt: skip
            status = value
        death = self._optional_date("death_date", death)
        if not status:
            status = "deceased" if death else "alive"
        if status == "deceased" and death is None:
            raise _Rejected(
                "death_date", "required", "状态为死亡时必须填写死亡日期",
                "death_date is required when the status is deceased",
            )  # fmt: skip
        if death is not None:
            if status != "deceased":
                raise _Rejected(
                    "death_date", "death_date_not_deceased", "有死亡日期但状态不是死亡",
                    "a death date is given but the status is not deceased",
                )  # fmt: skip
            if death < birth or death > today:
                problems = rules.check_within_life(
                    as_date(death), as_date(birth), None, field="death_date"
                ) or [
                    rules.Problem("death_date", "future", "死亡日期晚于今天",
                                  "the death date is in the future")
                ]  # fmt: skip
                raise _Rejected(
                    "death_date", problems[0].code, problems[0].message_zh, problems[0].message_en
                )
        if len(cert_no) > 40:
            raise too_long("only_child_cert_no", 40)
        cert_date = self._optional_date("only_child_cert_date", cert_date)
        household = None
        if household_no:
            position = self.households.index.get(household_no)
            if position is None:
                raise _Rejected(
                    "household_no", "unknown_household", f"未知的户号“{household_no}”",
                    f"unknown household number '{household_no}'",
                )  # fmt: skip
            if self.households.state[position] == REJECTED:
                line = self.households.line[position]
                raise _Rejected(
                    "household_no", "household_rejected", f"户第{line}行被拒绝",
                    f"household row {line} was rejected",
                )  # fmt: skip
            household = position
        if relation:
            if len(relation) == 1 and relation.isdigit():
                relation = "0" + relation
            if relation not in FAMILY_RELATIONS:
                raise _Rejected(
                    "relation_to_head", "relation", f"与户主关系代码“{relation}”无效（GB/T 4761）",
                    f"invalid relation_to_head code '{relation}' (GB/T 4761)",
                )  # fmt: skip
        keys = pinyin_cache.get(name)
        if keys is None:
            keys = pinyin_cache[name] = name_keys(name)
        floating = rules.floating_status(
            hukou_here=hukou_unit is not None, lives_here=residence_unit is not None
        )
        unit = residence_unit if residence_unit is not None else hukou_unit
        values = (
            key, number or None, name, former_names, keys[0], keys[1], sex, birth, ethnic,
            hukou_type, hukou_type_since, hukou_division, phone, status, death, floating,
            cert_no, cert_date, relation, hukou_unit, residence_unit, unit,
        )  # fmt: skip
        return values, household

    @staticmethod
    def _optional_date(column: str, text: str) -> str | None:
        if not text:
            return None
        try:
            return iso_date(text)
        except InvalidDate as error:
            raise _problem(error, column) from None

    @staticmethod
    def _person_differs(values: tuple, found: tuple) -> bool:
        # found: id, source_key, id_number, name, sex, birth_date, death_date, status, unit_id,
        # hukou_unit_id, residence_unit_id
        return (
            (found[2] or None) != values[1]
            or found[3] != values[2]
            or found[4] != values[6]
            or value_iso(found[5]) != values[7]
            or value_iso(found[6]) != values[14]
            or found[7] != values[13]
            or found[9] != values[19]
            or found[10] != values[20]
        )

    def _check_numbers_in_database(
        self, table: Table, numbers: list[str | None], distinct: set[str]
    ) -> None:
        """A new person's ID number registered for another person rejects the row."""
        store = self.persons
        found = self.writer.fetch_in(
            "registry_person", ("id", "id_number", "source_key"), "id_number", distinct
        )
        if not found:
            return
        position_of: dict[str, int] = {}
        for i, number in enumerate(numbers):
            if number is not None and store.state[i] == NEW:
                position_of.setdefault(number, i)
        for _pk, number, source_key in found:
            position = position_of.get(number)
            if position is None:
                continue  # a present key: its row is not written, nothing to protect
            store.state[position] = REJECTED
            self.report.rejected.append(
                Rejection(
                    file=table.file,
                    line=store.line[position],
                    key=store.key[position],
                    field="id_number",
                    code="id_number_registered",
                    message_zh="身份证号已登记在另一人员名下"
                    + (f"（来源键“{source_key}”）" if source_key else ""),
                    message_en="the ID number is already registered for another person"
                    + (f" (source key '{source_key}')" if source_key else ""),
                )
            )
            self._rejected_rows["persons"].add(store.line[position])

    def add_database_persons(self, keys: Iterable[str]) -> None:
        """Read the persons other files refer to that the persons file does not hold."""
        store = self.persons
        wanted = {key for key in keys if key and key not in store.index}
        for pk, key, birth, death, sex, status, unit in self.writer.fetch_in(
            "registry_person",
            ("id", "source_key", "birth_date", "death_date", "sex", "status", "unit_id"),
            "source_key",
            wanted,
        ):
            store.index[key] = store.add(
                key,
                DB,
                0,
                pk=pk,
                birth=value_iso(birth),
                death=value_iso(death),
                sex=sex,
                status=status,
                unit=unit,
            )

    # --- parent–child links --------------------------------------------------------------------

    def _person_arrays(self) -> _PersonArrays:
        """Numpy views of the person store for the vectorised checks (built once the store
        holds every person the files refer to)."""
        import pyarrow as pa
        import pyarrow.compute as pc

        store = self.persons
        size = len(store.state)
        cached = getattr(self, "_arrays", None)
        if cached is not None and cached.size == size:
            return cached

        def day_numbers(values: list[str | None]) -> np.ndarray:
            text = pc.replace_substring(pa.array(values, pa.string()), "-", "")
            numbers = pc.cast(pc.if_else(pc.equal(text, ""), None, text), pa.int64())
            return pc.fill_null(numbers, 0).to_numpy(zero_copy_only=False)

        arrays = _PersonArrays(
            size=size,
            state=np.asarray(store.state, dtype=np.int8),
            birth=day_numbers(store.birth),
            death=day_numbers(store.death),
            female=np.asarray([sex == "F" for sex in store.sex], dtype=bool),
            male=np.asarray([sex == "M" for sex in store.sex], dtype=bool),
            deceased=np.asarray([status == "deceased" for status in store.status], dtype=bool),
        )
        self._arrays = arrays
        return arrays

    def _key_array(self) -> Any:
        """The persons' keys as a pyarrow array ("" where a key may not be looked up: rejected
        duplicates, which are not the first row with their key)."""
        import pyarrow as pa

        store = self.persons
        cached = getattr(self, "_keys", None)
        if cached is not None and len(cached) == len(store.key):
            return cached
        index = store.index
        if len(index) == len(store.key):
            keys = store.key
        else:
            keys = [key if index.get(key) == i else "" for i, key in enumerate(store.key)]
        self._keys = pa.array(keys, pa.string())
        return self._keys

    def resolve(self, columns: dict[tuple[str, str], Any]) -> None:
        """Find the persons the other files name, all columns in one hash lookup; persons
        the persons file lacks are read from the database."""
        import pyarrow as pa

        if not columns:
            return
        arrays = list(columns.values())
        joined = pa.concat_arrays(arrays)
        at = _index_in(joined, self._key_array())
        blank = _blank(joined)
        at[blank] = -1
        unknown_mask = (at < 0) & ~blank
        if unknown_mask.any():
            unknown = set(joined.filter(pa.array(unknown_mask)).to_pylist())
            self.add_database_persons(unknown)
            index = self.persons.index
            positions = np.flatnonzero(unknown_mask)
            cells = joined.take(pa.array(positions)).to_pylist()
            at[positions] = [index.get(key, -1) for key in cells]
        offset = 0
        for name, array in zip(columns, arrays, strict=True):
            self._resolved[name] = at[offset : offset + len(array)]
            offset += len(array)

    def _positions(self, kind: str, column: str, table: Table) -> np.ndarray:
        """Store index of the person each cell names (-1: unknown or blank)."""
        found = self._resolved.get((kind, column))
        if found is not None:
            return found
        keys = table.array(column)
        at = _index_in(keys, self._key_array())
        at[_blank(keys)] = -1
        return at

    def check_links(self, table: Table) -> None:
        """Row-local checks vectorised over the file; then one cheap pass in file order for
        what depends on earlier rows (duplicates, a second biological mother or father).
        Rows a quick check flags take `_link_row`, which gives the reason."""
        import pyarrow.compute as pc

        self.files["parent_child"] = table.file
        counts = self.report.counts["parent_child"]
        n = counts.read = table.rows
        store = self.persons
        people = self._person_arrays()
        parents, children = (
            self._positions("parent_child", "parent_key", table),
            self._positions("parent_child", "child_key", table),
        )
        kinds, since = table.array("kind"), table.array("since")
        ok = (parents >= 0) & (children >= 0)
        p, c = np.where(ok, parents, 0), np.where(ok, children, 0)
        ok &= (people.state[p] != REJECTED) & (people.state[c] != REJECTED) & (p != c)
        ok &= _member(kinds, ("", "biological", "adopted", "step")) & _blank(since)
        ok &= people.birth[p] < people.birth[c]
        mother = _member(kinds, ("", "biological")) & people.female[p]
        age = (people.birth[c] - people.birth[p]) // 10000
        low, high = rules.MOTHER_AGE_USUAL
        alive = (people.death[p] == 0) | (people.death[p] >= people.birth[c])
        ok &= ~mother | ((age >= low) & (age <= high) & alive)
        kind_list = pc.if_else(_blank(kinds), "biological", kinds).to_pylist()
        line_of = table.line
        seen: dict[tuple[int, int], int] = {}
        mothers: dict[int, tuple[int, int]] = {}  # child → (mother, line)
        fathers: dict[int, tuple[int, int]] = {}
        links = self.links
        sex, birth = store.sex, store.birth
        parent_list, child_list, ok_list = parents.tolist(), children.tolist(), ok.tolist()
        plain = table.lines is None  # row i is on line i + 2
        for start, end in self._steps(n, "检查亲子关系 checking links"):
            for i in range(start, end):
                if ok_list[i]:
                    parent, child = parent_list[i], child_list[i]
                    pair = (parent, child)
                    if pair not in seen:
                        line = i + 2 if plain else line_of(i)
                        kind = kind_list[i]
                        if kind != "biological":
                            seen[pair] = line
                            links.append(Link(parent, child, kind, None, line))
                            continue
                        known = mothers if sex[parent] == "F" else fathers
                        other = known.get(child)
                        if other is None or other[0] == parent:
                            known[child] = (parent, line)
                            seen[pair] = line
                            links.append(Link(parent, child, kind, birth[child], line))
                            continue
                self._link_slow(table, i, seen, mothers, fathers)
        for child, (mother, _line) in mothers.items():
            self._mother_of[child] = mother
        for child, (father, _line) in fathers.items():
            self._father_of[child] = father
        counts.rejected = self.rejected_count("parent_child")

    def _link_slow(
        self,
        table: Table,
        index: int,
        seen: dict[tuple[int, int], int],
        mothers: dict[int, tuple[int, int]],
        fathers: dict[int, tuple[int, int]],
    ) -> None:
        store = self.persons
        parent_key, child_key, kind_text, since_text = self._row_cells(
            table, index, ("parent_key", "child_key", "kind", "since")
        )
        label = f"{parent_key}>{child_key}"
        try:
            if not parent_key:
                raise required_problem("parent_key")
            if not child_key:
                raise required_problem("child_key")
            kind = LINK_KINDS.get(kind_text)
            if kind is None:
                raise _Rejected(
                    "kind", "kind",
                    f"关系类型“{kind_text}”无效（biological、adopted、step）",
                    f"invalid kind '{kind_text}' (biological, adopted, step)",
                )  # fmt: skip
            since = self._optional_date("since", since_text)
            parent = self._person("parent_key", parent_key)
            child = self._person("child_key", child_key)
            if parent == child:
                raise _Rejected(
                    "child_key", "self", "父母和子女不能是同一人",
                    "the parent and the child are the same person",
                )  # fmt: skip
            if (parent, child) in seen:
                first = seen[parent, child]
                raise _Rejected(
                    "child_key", "duplicate",
                    f"同一亲子关系在文件中重复（第{first}行已有）",
                    f"the same link appears more than once (first on line {first})",
                )  # fmt: skip
            parent_birth, child_birth = store.birth[parent], store.birth[child]
            if parent_birth >= child_birth:
                raise _Rejected(
                    "parent_key", "parent_younger",
                    f"父母（{parent_birth}出生）不比子女（{child_birth}出生）年长",
                    f"the parent (born {parent_birth}) is not older than the child "
                    f"(born {child_birth})",
                )  # fmt: skip
            if kind == "biological":
                self._check_biological(table, index, label, parent, child)
                female = store.sex[parent] == "F"
                known = mothers if female else fathers
                other = known.get(child)
                if other is not None and other[0] != parent:
                    who = ("母亲", "mother") if female else ("父亲", "father")
                    raise _Rejected(
                        "parent_key", "second_parent",
                        f"该子女已有亲生{who[0]}（第{other[1]}行）",
                        f"the child already has a biological {who[1]} (line {other[1]})",
                    )  # fmt: skip
                known[child] = (parent, table.line(index))
                if since is None:
                    since = child_birth
        except _Rejected as problem:
            self.reject(table, index, label, problem)
            return
        seen[parent, child] = table.line(index)
        self.links.append(Link(parent, child, kind, since, table.line(index)))

    def _check_biological(
        self,
        table: Table,
        index: int,
        key: str,
        parent: int,
        child: int,
        field_name: str = "parent_key",
    ) -> list[str]:
        """Mother's age (rules.check_mother_age) and the parent alive at the birth.

        Errors raise; warnings are reported and their codes returned (birth events carry them
        as flags).
        """
        store = self.persons
        child_birth = store.birth[child]
        parent_birth = store.birth[parent]
        flags: list[str] = []
        if store.sex[parent] == "F":
            low, high = rules.MOTHER_AGE_USUAL
            age = age_on(parent_birth, child_birth)
            if not low <= age <= high:
                for problem in rules.check_mother_age(as_date(parent_birth), as_date(child_birth)):
                    if problem.is_error:
                        raise _Rejected(
                            field_name, problem.code, problem.message_zh, problem.message_en
                        )
                    self.warn(table, index, key, problem)
                    flags.append(problem.code)
            death = store.death[parent]
            if death is not None and child_birth > death:
                problem = rules.check_within_life(
                    as_date(child_birth), as_date(parent_birth), as_date(death),
                    field=field_name, who=("母亲", "the mother"),
                )[0]  # fmt: skip
                raise _Rejected(field_name, problem.code, problem.message_zh, problem.message_en)
        return flags

    # --- marriages -------------------------------------------------------------------------------

    def check_marriages(self, table: Table | None, keys_in_events: Iterable[str]) -> None:
        import itertools

        store = self.marriages
        persons = self.persons
        wanted = itertools.chain(keys_in_events, table.get("marriage_key") if table else ())
        existing = {
            row[1]: row
            for row in self.writer.fetch_in(
                "registry_marriage",
                ("id", "source_key", "husband_id", "wife_id", "start_date"),
                "source_key",
                wanted,
            )
        }
        if table is not None:
            self._marriage_rows(table, existing)
        missing = [key for key in existing if key not in store.index]
        if missing:
            pk_to_person = {pk: i for i, pk in enumerate(persons.pk) if pk is not None}
            for key in missing:
                pk, _key, husband_id, wife_id, start_date = existing[key]
                self._add_marriage(
                    key,
                    DB,
                    0,
                    pk,
                    pk_to_person.get(husband_id, -1),
                    pk_to_person.get(wife_id, -1),
                    value_iso(start_date),
                )

    def _marriage_rows(self, table: Table, existing: dict[str, tuple]) -> None:
        """Vectorised checks for the common case, `_marriage_row` for the rest."""
        store = self.marriages
        persons = self.persons
        self.files["marriages"] = table.file
        counts = self.report.counts["marriages"]
        n = counts.read = table.rows
        people = self._person_arrays()
        column = table.array
        keys, start, end = column("marriage_key"), column("start_date"), column("end_date")
        husbands = self._positions("marriages", "husband_key", table)
        wives = self._positions("marriages", "wife_key", table)
        ok = _filled(keys) & _at_most(keys, 64) & (husbands >= 0) & (wives >= 0)
        h, w = np.where(husbands >= 0, husbands, 0), np.where(wives >= 0, wives, 0)
        ok &= (people.state[h] != REJECTED) & (people.state[w] != REJECTED)
        ok &= people.male[h] & people.female[w]
        ok &= _iso_dates(start) & (_blank(end) | _iso_dates(end))
        day, until = _day_numbers(start), _day_numbers(end)
        ok &= (until == 0) | (until >= day)
        for spouse, sex in ((h, "M"), (w, "F")):
            legal = _legal_marriage_age(day, sex)
            born, died = people.birth[spouse], people.death[spouse]
            ok &= ((day - born) // 10000 >= legal) & ((died == 0) | (day <= died))
        ok &= _member(column("end_reason"), ("", "divorce", "death"))
        for name in ("husband_kind", "wife_kind"):
            ok &= _member(column(name), ("", "first", "remarriage"))
        key_list, line_of = table.get("marriage_key"), table.line
        start_list, end_list = _none_if_blank(start), _none_if_blank(end)
        reasons = table.get("end_reason")
        kinds = [pc_if_blank(column(name), "first") for name in ("husband_kind", "wife_kind")]
        ok_list, husband_list, wife_list = ok.tolist(), husbands.tolist(), wives.tolist()
        unit = persons.unit
        names = (
            "marriage_key", "husband_key", "wife_key", "start_date", "end_date",
            "end_reason", "husband_kind", "wife_kind",
        )  # fmt: skip
        for i in range(n):
            key = key_list[i]
            if ok_list[i] and key not in store.index:
                values = (
                    key, husband_list[i], wife_list[i], start_list[i], end_list[i], reasons[i],
                    kinds[0][i], kinds[1][i],
                )  # fmt: skip
            else:
                try:
                    values = self._marriage_row(self._row_cells(table, i, names))
                except _Rejected as problem:
                    self.reject(table, i, key, problem)
                    if key and key not in store.index:
                        self._add_marriage(key, REJECTED, line_of(i), None, -1, -1, "")
                    continue
            husband, wife = values[1], values[2]
            found = existing.get(key)
            if found is None:
                position = self._add_marriage(key, NEW, line_of(i), None, husband, wife, values[3])
                store.values[position] = values
                store.unit[position] = unit[husband] if unit[husband] is not None else unit[wife]
                continue
            self._add_marriage(key, PRESENT, line_of(i), found[0], husband, wife, values[3])
            counts.present += 1
            if (
                found[2] != persons.pk[husband]
                or found[3] != persons.pk[wife]
                or value_iso(found[4]) != values[3]
            ):
                counts.differs += 1
        counts.rejected = self.rejected_count("marriages")

    def _add_marriage(
        self, key: str, state: int, line: int, pk: int | None, husband: int, wife: int, start: str
    ) -> int:
        store = self.marriages
        position = len(store.state)
        store.index[key] = position
        store.state.append(state)
        store.line.append(line)
        store.pk.append(pk)
        store.husband.append(husband)
        store.wife.append(wife)
        store.start.append(start)
        store.values.append(None)
        store.unit.append(None)
        return position

    def _marriage_row(self, row: tuple[str, ...]) -> tuple:
        key, husband_key, wife_key, start, end, end_reason, husband_kind, wife_kind = row
        persons = self.persons
        if not key:
            raise required_problem("marriage_key")
        if len(key) > 64:
            raise too_long("marriage_key", 64)
        if key in self.marriages.index:
            position = self.marriages.index[key]
            raise duplicate("marriage_key", key, self.marriages.line[position])
        for column, value in (("husband_key", husband_key), ("wife_key", wife_key)):
            if not value:
                raise required_problem(column)
        if not start:
            raise required_problem("start_date")
        start = self._optional_date("start_date", start)
        end = self._optional_date("end_date", end)
        husband = self._person("husband_key", husband_key)
        wife = self._person("wife_key", wife_key)
        if persons.sex[husband] != "M":
            raise _Rejected(
                "husband_key",
                "husband_sex",
                "丈夫的性别不是男",
                "the husband is not recorded as male",
            )
        if persons.sex[wife] != "F":
            raise _Rejected(
                "wife_key", "wife_sex", "妻子的性别不是女", "the wife is not recorded as female"
            )
        for column, person, who in (
            ("husband_key", husband, ("男方", "the man")),
            ("wife_key", wife, ("女方", "the woman")),
        ):
            birth, death = persons.birth[person], persons.death[person]
            if start < birth or (death is not None and start > death):
                problem = rules.check_within_life(
                    as_date(start), as_date(birth), as_date(death) if death else None,
                    field="start_date", who=who,
                )[0]  # fmt: skip
                raise _Rejected(column, problem.code, problem.message_zh, problem.message_en)
            sex = persons.sex[person]
            if age_on(birth, start) < rules.marriage_age_on(as_date(start))[sex]:
                problem = rules.check_marriage_age(sex, as_date(birth), as_date(start))[0]
                raise _Rejected(column, problem.code, problem.message_zh, problem.message_en)
        if end is not None and end < start:
            raise _Rejected(
                "end_date", "end_before_start", "结束日期早于结婚日期",
                "the end date is before the start date",
            )  # fmt: skip
        reason = END_REASONS.get(end_reason)
        if reason is None:
            raise _Rejected(
                "end_reason", "end_reason", f"结束原因“{end_reason}”无效（divorce、death）",
                f"invalid end_reason '{end_reason}' (divorce, death)",
            )  # fmt: skip
        kinds = []
        for column, text in (("husband_kind", husband_kind), ("wife_kind", wife_kind)):
            value = MARRIAGE_KINDS.get(text)
            if value is None:
                raise _Rejected(
                    column, "marriage_kind", f"{column}“{text}”无效（first、remarriage）",
                    f"invalid {column} '{text}' (first, remarriage)",
                )  # fmt: skip
            kinds.append(value)
        return (key, husband, wife, start, end, reason, kinds[0], kinds[1])

    # --- events ----------------------------------------------------------------------------------

    def check_events(self, table: Table) -> None:
        """As check_links: vectorised row-local checks, one pass in file order for duplicates,
        second birth events, conflicts with the links and the flags; `_event_row` for the
        rows a quick check flags."""
        import pyarrow.compute as pc

        self.files["events"] = table.file
        counts = self.report.counts["events"]
        n = counts.read = table.rows
        people = self._person_arrays()
        persons = self.persons
        column = table.array
        keys, kinds, dates = column("event_key"), column("kind"), column("date")
        who = self._positions("events", "person_key", table)
        mothers = self._positions("events", "mother_key", table)
        fathers = self._positions("events", "father_key", table)
        ok = _filled(keys) & _at_most(keys, 64) & _member(kinds, EVENT_KINDS)
        ok &= _iso_dates(dates) & _np(pc.less_equal(dates, self.today)) & (who >= 0)
        person = np.where(who >= 0, who, 0)
        ok &= people.state[person] != REJECTED
        day = _day_numbers(dates)
        kind_is = {kind: _np(pc.equal(kinds, kind)) for kind in EVENT_KINDS}
        born, died = people.birth[person], people.death[person]
        ok &= np.where(kind_is["birth"], day == born, (day >= born) & ((died == 0) | (day <= died)))
        ok &= _blank(column("unit_code"))
        for name in ("place", "cause_category", "reason"):
            ok &= _at_most(column(name), LIMITS[name])
        # Births: known parents of the right sex, older than the child, the mother 15–50 and
        # alive at the birth.
        low, high = rules.MOTHER_AGE_USUAL
        m, f = np.where(mothers >= 0, mothers, 0), np.where(fathers >= 0, fathers, 0)
        no_mother, no_father = _blank(column("mother_key")), _blank(column("father_key"))
        age = (born - people.birth[m]) // 10000
        mother_ok = no_mother | (
            (mothers >= 0) & (people.state[m] != REJECTED) & people.female[m]
            & (people.birth[m] < born) & (age >= low) & (age <= high)
            & ((people.death[m] == 0) | (people.death[m] >= born))
        )  # fmt: skip
        father_ok = no_father | (
            (fathers >= 0) & (people.state[f] != REJECTED) & people.male[f]
            & (people.birth[f] < born)
        )  # fmt: skip
        plurality = column("plurality")
        plurality_ok = _member(plurality, ("", "1", "2", "3", "4", "5", "6", "7", "8"))
        ok &= ~kind_is["birth"] | (mother_ok & father_ok & plurality_ok)
        ok &= ~kind_is["death"] | (people.deceased[person] & (day == died))
        moves = kind_is["move_in"] | kind_is["move_out"]
        twelve = r"^[0-9]{12}$"
        residence_at = _index_in(column("residence_unit_code"), list(self.units))
        move_ok = (_blank(column("residence_unit_code")) | (residence_at >= 0)) & _member(
            column("moves_hukou"), ("", "0", "1")
        )
        for name in ("division_from", "division_to"):
            move_ok &= _blank(column(name)) | _np(pc.match_substring_regex(column(name), twelve))
        ok &= ~moves | move_ok
        ok &= ~kind_is["hukou_type"] | _member(
            column("hukou_type"), ("agricultural", "non_agricultural", "unified")
        )
        marriage_at = _index_in(column("marriage_key"), list(self.marriages.index))
        marriage_at[marriage_at >= 0] = np.asarray(
            list(self.marriages.index.values()) or [0], dtype=np.int64
        )[marriage_at[marriage_at >= 0]]
        mar = np.where(marriage_at >= 0, marriage_at, 0)
        store = self.marriages
        marriage_state = np.asarray(store.state + [REJECTED], dtype=np.int8)[mar]
        husband = np.asarray(store.husband + [-1], dtype=np.int64)[mar]
        wife = np.asarray(store.wife + [-1], dtype=np.int64)[mar]
        spouse_ok = (marriage_at >= 0) & (marriage_state != REJECTED)
        spouse_ok &= ((husband == -1) | (wife == -1)) | (husband == person) | (wife == person)
        ok &= ~(kind_is["marriage"] | kind_is["divorce"]) | spouse_ok
        # Every death row (even one rejected below) stops the loader inventing another.
        self._death_event_for.update(who[kind_is["death"] & (who >= 0)].tolist())

        unit_ids = np.array([pk for pk, _open in self.units.values()] + [0], dtype=np.int64)
        values = {
            name: table.get(name)
            for name in (
                "event_key", "kind", "date", "place", "cause_category", "reason",
                "division_from", "division_to", "hukou_type",
            )
        }  # fmt: skip
        plurality_list = pc.if_else(_blank(plurality), "1", plurality).to_pylist()
        residence_list = _ids(unit_ids, np.where(moves, residence_at, -1))
        moving = _np(pc.equal(column("moves_hukou"), "1")).tolist()
        lists = (
            ok.tolist(), who.tolist(), mothers.tolist(), fathers.tolist(),
            marriage_at.tolist(), kind_is["birth"].tolist(),
        )  # fmt: skip
        ok_list, who_list, mother_list, father_list, marriage_list, birth_list = lists
        seen: dict[str, int] = {}
        births: dict[int, int] = {}  # child → line of its birth event
        couples = self._marriages_by_couple()
        mother_of, father_of = self._mother_of, self._father_of
        unit_of, events, line_of = persons.unit, self.events, table.line
        key_list, kind_list, date_list = values["event_key"], values["kind"], values["date"]
        for start, end in self._steps(n, "检查事件 checking events"):
            for i in range(start, end):
                key = key_list[i]
                if ok_list[i] and key not in seen:
                    child = who_list[i]
                    mother = mother_list[i] if mother_list[i] >= 0 else None
                    father = father_list[i] if father_list[i] >= 0 else None
                    if birth_list[i] and (
                        child in births
                        or (mother is not None and mother_of.get(child, mother) != mother)
                        or (father is not None and father_of.get(child, father) != father)
                    ):
                        pass  # the slow path names the problem
                    else:
                        line = line_of(i)
                        kind = kind_list[i]
                        move = kind == "move_in" or kind == "move_out"
                        event = EventRow(
                            key=key, kind=kind, date=date_list[i], person=child,
                            unit=unit_of[child], mother=mother, father=father,
                            place=values["place"][i], plurality=int(plurality_list[i]),
                            cause_category=values["cause_category"][i],
                            division_from=values["division_from"][i] if move else "",
                            division_to=values["division_to"][i] if move else "",
                            residence_unit=residence_list[i], moves_hukou=move and moving[i],
                            hukou_type=values["hukou_type"][i] if kind == "hukou_type"
                            else "",
                            reason=values["reason"][i],
                            marriage=marriage_list[i] if marriage_list[i] >= 0 else None,
                            line=line,
                        )  # fmt: skip
                        if birth_list[i]:
                            births[child] = line
                            self._flag_before_marriage(table, i, event, couples)
                        elif kind != "marriage" and kind != "divorce":
                            event.marriage = None
                        seen[key] = line
                        events.append(event)
                        continue
                self._event_slow(table, i, seen, births, couples)
        existing = self.writer.fetch_in(
            "registry_event",
            ("id", "source_key", "kind", "date", "person_id"),
            "source_key",
            seen,
        )
        if existing:
            by_key = {event.key: event for event in events}
            for _pk, key, kind, date, person_pk in existing:
                event = by_key[key]
                event.state = PRESENT
                counts.present += 1
                if (
                    kind != event.kind
                    or value_iso(date) != event.date
                    or person_pk != persons.pk[event.person]
                ):
                    counts.differs += 1
        counts.rejected = self.rejected_count("events")

    def _event_slow(
        self,
        table: Table,
        index: int,
        seen: dict[str, int],
        births: dict[int, int],
        couples: dict[tuple[int, int], str],
    ) -> None:
        row = self._row_cells(table, index, EVENT_INPUT)
        try:
            event = self._event_row(table, index, row, seen, births, couples)
        except _Rejected as problem:
            self.reject(table, index, row[0], problem)
            return
        seen[event.key] = event.line
        self.events.append(event)

    def _flag_before_marriage(
        self, table: Table, index: int, event: EventRow, couples: dict[tuple[int, int], str]
    ) -> None:
        mother = event.mother if event.mother is not None else self._mother_of.get(event.person)
        father = event.father if event.father is not None else self._father_of.get(event.person)
        if mother is None or father is None:
            return
        married = couples.get((father, mother))
        if married is not None and event.date < married:
            for problem in rules.check_birth_before_marriage(as_date(event.date), as_date(married)):
                self.warn(table, index, event.key, problem)
                event.flags.append(problem.code)

    def _marriages_by_couple(self) -> dict[tuple[int, int], str]:
        store = self.marriages
        couples: dict[tuple[int, int], str] = {}
        for position, state in enumerate(store.state):
            if state != REJECTED and store.husband[position] >= 0 and store.wife[position] >= 0:
                pair = (store.husband[position], store.wife[position])
                couples[pair] = min(couples.get(pair, store.start[position]), store.start[position])
        return couples

    def _event_row(
        self,
        table: Table,
        index: int,
        row: tuple[str, ...],
        keys: dict[str, int],
        births: dict[int, int],
        couples: dict[tuple[int, int], str],
    ) -> EventRow:
        (
            key, kind, date_text, person_key, unit_code, mother_key, father_key, place,
            plurality_text, cause, division_from, division_to, residence_code, moves_hukou,
            reason, hukou_type, marriage_key,
        ) = row  # fmt: skip
        persons = self.persons
        if not key:
            raise required_problem("event_key")
        if len(key) > 64:
            raise too_long("event_key", 64)
        if key in keys:
            raise duplicate("event_key", key, keys[key])
        if not kind:
            raise required_problem("kind")
        if kind not in EVENT_KINDS:
            raise _Rejected(
                "kind", "kind", f"事件类型“{kind}”无效（{'、'.join(EVENT_KINDS)}）",
                f"invalid kind '{kind}' ({', '.join(EVENT_KINDS)})",
            )  # fmt: skip
        if not date_text:
            raise required_problem("date")
        date = self._optional_date("date", date_text)
        if not person_key:
            raise required_problem("person_key")
        # A death row, even a rejected one, means the loader must not invent another.
        position = persons.index.get(person_key)
        if kind == "death" and position is not None:
            self._death_event_for.add(position)
        person = self._person("person_key", person_key)
        birth, death = persons.birth[person], persons.death[person]
        if kind == "birth":
            if date != birth:
                raise _Rejected(
                    "date", "birth_date_mismatch", f"出生事件日期与人员的出生日期（{birth}）不一致",
                    f"the birth event's date differs from the person's birth date ({birth})",
                )  # fmt: skip
        elif date < birth or (death is not None and date > death):
            problem = rules.check_within_life(
                as_date(date), as_date(birth), as_date(death) if death else None
            )[0]
            raise _Rejected(problem.field, problem.code, problem.message_zh, problem.message_en)
        if date > self.today:
            raise _Rejected("date", "future", "事件日期晚于今天", "the event date is in the future")
        for column, text in (("place", place), ("cause_category", cause), ("reason", reason)):
            if len(text) > LIMITS[column]:
                raise too_long(column, LIMITS[column])
        unit = (
            self._unit("unit_code", unit_code, must_be_open=False)
            if unit_code
            else persons.unit[person]
        )
        event = EventRow(
            key=key, kind=kind, date=date, person=person, unit=unit, line=table.line(index)
        )
        event.place, event.cause_category, event.reason = place, cause, reason
        if kind == "birth":
            self._birth_event(
                table, index, event, mother_key, father_key, plurality_text, births, couples
            )
        elif kind == "death":
            if persons.status[person] != "deceased":
                raise _Rejected(
                    "kind", "not_deceased", "该人员的状态不是死亡，不能有死亡事件",
                    "the person is not recorded as deceased",
                )  # fmt: skip
            if death is not None and date != death:
                raise _Rejected(
                    "date", "death_date_mismatch", f"死亡事件日期与人员的死亡日期（{death}）不一致",
                    f"the death event's date differs from the person's death date ({death})",
                )  # fmt: skip
        elif kind in ("move_in", "move_out"):
            for column, text in (("division_from", division_from), ("division_to", division_to)):
                if text:
                    code = divisions.normalise_code(text)
                    if len(code) != 12 or not code.isdigit():
                        raise _Rejected(
                            column, "division", f"{column}“{text}”应为12位区划代码",
                            f"{column} '{text}' must be a 12-digit division code",
                        )  # fmt: skip
                    setattr(event, column, code)
            if residence_code:
                event.residence_unit = self._unit(
                    "residence_unit_code", residence_code, must_be_open=False
                )
            flag = moves_hukou.strip().lower()
            if flag in TRUE_WORDS:
                event.moves_hukou = True
            elif flag not in FALSE_WORDS:
                raise _Rejected(
                    "moves_hukou", "boolean", f"moves_hukou“{moves_hukou}”应为 1 或 0",
                    f"moves_hukou '{moves_hukou}' must be 1 or 0",
                )  # fmt: skip
        elif kind == "hukou_type":
            value = HUKOU_TYPES.get(hukou_type)
            if value is None:
                raise _Rejected(
                    "hukou_type", "hukou_type",
                    f"户口性质“{hukou_type}”无效（agricultural、non_agricultural、unified）",
                    f"hukou_type '{hukou_type}' is missing or invalid "
                    "(agricultural, non_agricultural, unified)",
                )  # fmt: skip
            event.hukou_type = value
        elif kind in ("marriage", "divorce"):
            if not marriage_key:
                raise required_problem("marriage_key")
            position = self.marriages.index.get(marriage_key)
            if position is None:
                raise _Rejected(
                    "marriage_key", "unknown_marriage", f"未知的婚姻“{marriage_key}”",
                    f"unknown marriage '{marriage_key}'",
                )  # fmt: skip
            if self.marriages.state[position] == REJECTED:
                line = self.marriages.line[position]
                raise _Rejected(
                    "marriage_key", "marriage_rejected", f"婚姻第{line}行被拒绝",
                    f"marriage row {line} was rejected",
                )  # fmt: skip
            spouses = (self.marriages.husband[position], self.marriages.wife[position])
            if -1 not in spouses and person not in spouses:
                raise _Rejected(
                    "person_key", "not_spouse", "该人员不是这段婚姻的一方",
                    "the person is not a spouse in this marriage",
                )  # fmt: skip
            event.marriage = position
        return event

    def _birth_event(
        self,
        table: Table,
        index: int,
        event: EventRow,
        mother_key: str,
        father_key: str,
        plurality_text: str,
        births: dict[int, int],
        couples: dict[tuple[int, int], str],
    ) -> None:
        persons = self.persons
        child = event.person
        if child in births:
            raise _Rejected(
                "person_key", "second_birth", f"该人员已有出生事件（第{births[child]}行）",
                f"the person already has a birth event (line {births[child]})",
            )  # fmt: skip
        if plurality_text:
            if not plurality_text.isdigit() or not 1 <= int(plurality_text) <= 8:
                raise _Rejected(
                    "plurality", "plurality", f"一胎婴儿数“{plurality_text}”应为1–8",
                    f"plurality '{plurality_text}' must be 1 to 8",
                )  # fmt: skip
            event.plurality = int(plurality_text)
        for column, key, sex, known in (
            ("mother_key", mother_key, "F", self._mother_of),
            ("father_key", father_key, "M", self._father_of),
        ):
            if not key:
                continue
            parent = self._person(column, key)
            if persons.sex[parent] != sex:
                raise _Rejected(
                    column, "parent_sex",
                    "母亲的性别不是女" if sex == "F" else "父亲的性别不是男",
                    "the mother is not recorded as female" if sex == "F"
                    else "the father is not recorded as male",
                )  # fmt: skip
            if persons.birth[parent] >= persons.birth[child]:
                raise _Rejected(
                    column, "parent_younger",
                    f"父母（{persons.birth[parent]}出生）不比子女（{persons.birth[child]}出生）年长",
                    f"the parent (born {persons.birth[parent]}) is not older than the child "
                    f"(born {persons.birth[child]})",
                )  # fmt: skip
            linked = known.get(child)
            if linked is not None and linked != parent:
                raise _Rejected(
                    column, "parent_conflict", "与亲子关系文件中的亲生父母不一致",
                    "differs from the biological parent in the parent_child file",
                )  # fmt: skip
            if sex == "F":
                event.mother = parent
                event.flags.extend(
                    self._check_biological(table, index, event.key, parent, child, column)
                )
            else:
                event.father = parent
        self._flag_before_marriage(table, index, event, couples)
        births[child] = event.line

    # --- derived fields ---------------------------------------------------------------------

    def derive(self, existing_children: Callable[[list[int]], list[tuple]]) -> None:
        """Birth orders, floating-since dates; mothers/fathers from links and birth events.

        `existing_children(mother_pks)` returns (mother_pk, child_pk, father_pk, birth_date)
        for children already in the database, so a new child of a known mother is counted
        after her older children.
        """
        persons = self.persons
        mother_of = dict(self._mother_of)
        father_of = dict(self._father_of)
        latest_move: dict[tuple[int, str], str] = {}
        for event in self.events:
            if event.kind == "birth":
                if event.mother is not None:
                    mother_of.setdefault(event.person, event.mother)
                if event.father is not None:
                    father_of.setdefault(event.person, event.father)
            elif event.kind in ("move_in", "move_out"):
                key = (event.person, event.kind)
                if latest_move.get(key, "") < event.date:
                    latest_move[key] = event.date
        # Floating since: the latest move_in for inflow, the latest move_out for outflow.
        for position, state in enumerate(persons.state):
            if state != NEW:
                continue
            floating = persons.floating[position]
            if floating:
                wanted = "move_in" if floating == "inflow" else "move_out"
                found = latest_move.get((position, wanted))
                if found is not None:
                    persons.floating_since[position] = found
        # Birth orders over each mother's biological children (children who died count).
        children: dict[int, list[int]] = defaultdict(list)
        for child, mother in mother_of.items():
            if persons.state[child] != REJECTED and persons.state[mother] != REJECTED:
                children[mother].append(child)
        new_children_of = {
            mother
            for mother, kids in children.items()
            if any(persons.state[kid] == NEW for kid in kids)
        }
        known_mothers = [persons.pk[m] for m in new_children_of if persons.pk[m] is not None]
        if known_mothers:
            pk_index = {pk: i for i, pk in enumerate(persons.pk) if pk is not None}
            for mother_pk, child_pk, father_pk, birth in existing_children(known_mothers):
                child = pk_index.get(child_pk)
                if child is None:
                    child = persons.add(
                        f"#db:{child_pk}", DB, 0, pk=child_pk, birth=value_iso(birth)
                    )
                    pk_index[child_pk] = child
                mother = pk_index[mother_pk]
                if child not in children[mother]:
                    children[mother].append(child)
                    mother_of.setdefault(child, mother)
                if father_pk is not None and child not in father_of:
                    father = pk_index.get(father_pk)
                    if father is None:
                        father = persons.add(f"#db:{father_pk}", DB, 0, pk=father_pk)
                        pk_index[father_pk] = father
                    father_of[child] = father
        state, birth, result = persons.state, persons.birth, persons.orders
        for mother in new_children_of:
            kids = children[mother]
            if len(kids) == 1:  # an only child: child 1 of delivery 1 (what the rule gives)
                kid = kids[0]
                result[kid] = (1, 1, 1 if kid in father_of else None)
                continue
            orders = rules.birth_orders(rules.Birth(kid, as_date(birth[kid])) for kid in kids)
            fathers = {father_of.get(kid) for kid in kids}
            couple: dict[int, int] = {}
            if len(fathers) == 1 and None not in fathers:
                couple = {kid: order for kid, (order, _delivery) in orders.items()}
            else:
                by_father: dict[int, list[int]] = defaultdict(list)
                for kid in kids:
                    if kid in father_of:
                        by_father[father_of[kid]].append(kid)
                for same_father in by_father.values():
                    for kid, (order, _delivery) in rules.birth_orders(
                        rules.Birth(kid, as_date(birth[kid])) for kid in same_father
                    ).items():
                        couple[kid] = order
            for kid in kids:
                if state[kid] == NEW:
                    order, delivery = orders[kid]
                    result[kid] = (order, delivery, couple.get(kid))

    def add_links_of_births(self) -> int:
        """Biological links a birth event implies but parent_child lacks (as record_birth
        makes them), for a child or parent inserted now; returns how many were added."""
        persons = self.persons
        linked = {(link.parent, link.child) for link in self.links}
        added = 0
        for event in self.events:
            if event.kind != "birth" or event.state != NEW:
                continue
            for parent in (event.mother, event.father):
                if parent is None or (parent, event.person) in linked:
                    continue
                if persons.state[event.person] != NEW and persons.state[parent] != NEW:
                    continue  # both known before: the link, if any, is the database's business
                linked.add((parent, event.person))
                self.links.append(
                    Link(parent, event.person, "biological", event.date, event.line, derived=True)
                )
                added += 1
        return added

    def deceased_without_death_event(self) -> list[int]:
        """NEW deceased persons with no death row in the events file: the loader adds one."""
        persons = self.persons
        return [
            position
            for position, state in enumerate(persons.state)
            if state == NEW
            and persons.status[position] == "deceased"
            and position not in self._death_event_for
        ]


def flags_json(flags: list[str]) -> str:
    return json.dumps(flags) if flags else "[]"


def _legal_marriage_age(day: np.ndarray, sex: str) -> np.ndarray:
    """The minimum age by the marriage law in force on each day (yyyymmdd numbers)."""
    legal = np.zeros(len(day), dtype=np.int64)
    for since, ages in reversed(rules.MARRIAGE_AGES):
        number = since.year * 10000 + since.month * 100 + since.day if since.year > 1 else 0
        legal = np.where(day >= number, ages[sex], legal)
    return legal
