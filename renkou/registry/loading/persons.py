"""Persons (`persons` file): keys, names, ID numbers, dates, units, household.

Vectorised checks (pyarrow.compute) decide the common case; a row any of them flags goes
through `_person_row`, which gives the exact reason or the normalised values. Both read the
field specification (`fields.PERSONS`). The database overrules the persons already present
(their key is known: not inserted, not updated); an ID number may be on one person only.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from renkou.lib import divisions, idnumber
from renkou.lib.formats import InvalidDate
from renkou.lib.pinyin import name_keys
from renkou.registry import rules

from .common import (
    Rejected,
    as_date,
    blank,
    duplicate,
    filled,
    id_checksum_ok,
    ids_at,
    index_in,
    iso_date,
    iso_dates,
    member,
    none_if_blank,
    np_bool,
    optional_date,
    problem_of,
    required_problem,
    value_iso,
)
from .fields import PERSONS as SPEC
from .report import Rejection
from .state import LoadState
from .stores import NEW, PRESENT, REJECTED, PersonColumns, PersonRow
from .tables import Table
from .updates import differences, report_differences

PERSON_INPUT = tuple(SPEC.fields)  # the cells `_person_row` takes, in this order


def check_persons(ctx: LoadState, table: Table) -> None:
    """Vectorised checks (pyarrow.compute) decide the common case; a row any of them flags
    goes through `_person_row`, which gives the exact reason or the normalised values."""
    import pyarrow.compute as pc

    ctx.files["persons"] = table.file
    store = ctx.persons
    counts = ctx.report.counts["persons"]
    n = counts.read = table.rows
    column = table.array
    today = ctx.today

    keys, names, sex, birth = (column(c) for c in ("person_key", "name", "sex", "birth_date"))
    numbers, death, status = column("id_number"), column("death_date"), column("status")
    hukou_codes, residence_codes = column("hukou_unit_code"), column("residence_unit_code")
    household_numbers = column("household_no")
    length = SPEC.within_length
    ok = filled(keys) & length("person_key", keys) & filled(names) & length("name", names)
    ok &= table.clean  # ragged rows, control characters
    ok &= ~np_bool(pc.match_substring_regex(names, r"^[=+\-@]"))  # rules.check_name
    ok &= length("former_names", column("former_names")) & length("phone", column("phone"))
    ok &= length("only_child_cert_no", column("only_child_cert_no"))
    ok &= SPEC.fast_codes("sex", sex)
    ok &= iso_dates(birth) & np_bool(pc.less_equal(birth, today))
    compact = pc.replace_substring(birth, "-", "")
    male = np_bool(pc.equal(sex, "M"))
    odd = member(pc.utf8_slice_codeunits(numbers, 16, 17), tuple("13579"))
    ok &= blank(numbers) | (
        id_checksum_ok(numbers)
        & np_bool(pc.equal(pc.utf8_slice_codeunits(numbers, 6, 14), compact))
        & (odd == male)
        & np_bool(pc.greater_equal(birth, "1850-01-01"))
    )
    ethnic = column("ethnic_group")
    ok &= SPEC.fast_codes("ethnic_group", ethnic)
    ok &= SPEC.fast_codes("hukou_type", column("hukou_type"))
    for name in ("hukou_type_since", "only_child_cert_date"):
        ok &= blank(column(name)) | iso_dates(column(name))
    division = column("hukou_division")
    ok &= blank(division) | np_bool(pc.match_substring_regex(division, r"^[0-9]{12}$"))
    open_codes = [code for code, (_pk, is_open) in ctx.units.items() if is_open]
    unit_ids = np.array([ctx.units[code][0] for code in open_codes] + [0], dtype=np.int64)
    hukou_at = index_in(hukou_codes, open_codes)
    residence_at = index_in(residence_codes, open_codes)
    no_hukou, no_residence = blank(hukou_codes), blank(residence_codes)
    ok &= (no_hukou | (hukou_at >= 0)) & (no_residence | (residence_at >= 0))
    ok &= ~(no_hukou & no_residence)
    no_status, no_death = blank(status), blank(death)
    deceased = np_bool(pc.equal(status, "deceased"))
    ok &= SPEC.fast_codes("status", status)
    ok &= np.where(
        no_death,
        ~deceased,
        (no_status | deceased)
        & iso_dates(death)
        & np_bool(pc.greater_equal(death, birth))
        & np_bool(pc.less_equal(death, today)),
    )
    households = ctx.households
    usable = [
        number
        for number, position in households.index.items()
        if households.state[position] != REJECTED
    ]
    household_at = index_in(household_numbers, usable)
    ok &= blank(household_numbers) | (household_at >= 0)
    relation = column("relation_to_head")
    ok &= SPEC.fast_codes("relation_to_head", relation)

    # The columns as inserted (the fast rows' values; slow rows are patched below).
    key_list = table.get("person_key")
    floating = np.where(
        no_residence, "outflow", np.where(no_hukou, "inflow", "")
    ).tolist()  # both missing: rejected anyway
    hukou_unit = ids_at(unit_ids, hukou_at)
    residence_unit = ids_at(unit_ids, residence_at)
    unit = ids_at(unit_ids, np.where(residence_at >= 0, residence_at, hukou_at))
    name_list = table.get("name")
    birth_list = birth.to_pylist()
    death_list = none_if_blank(death)
    status_list = pc.if_else(
        no_status, pc.if_else(no_death, "alive", "deceased"), status
    ).to_pylist()
    sex_list = sex.to_pylist()
    number_list = none_if_blank(numbers)
    pinyin, initials = _pinyin(ctx, names)
    usable_positions = np.array([households.index[number] for number in usable] + [-1])
    household_list = ids_at(usable_positions, household_at)
    output = PersonColumns(
        source_key=key_list, id_number=number_list, name=name_list,
        former_names=table.get("former_names"), name_pinyin=pinyin, name_initials=initials,
        sex=sex_list, birth_date=birth_list,
        ethnic_group=pc.if_else(blank(ethnic), "01", ethnic).to_pylist(),
        hukou_type=table.get("hukou_type"),
        hukou_type_since=none_if_blank(column("hukou_type_since")),
        hukou_division=division.to_pylist(), phone=table.get("phone"), status=status_list,
        death_date=death_list, floating=floating,
        only_child_cert_no=table.get("only_child_cert_no"),
        only_child_cert_date=none_if_blank(column("only_child_cert_date")),
        relation_to_head=relation.to_pylist(), hukou_unit_id=hukou_unit,
        residence_unit_id=residence_unit, unit_id=unit,
    )  # fmt: skip

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
    steps = ctx.spans(progress_rows, "检查人员 checking persons")
    households_of = household_list
    for span in steps:
        for i in span:
            key = key_list[i]
            if i in duplicates:
                ctx.reject(table, i, key, duplicate("person_key", key, table.line(index[key])))
                state[i] = REJECTED
                continue
            try:
                values, household = _person_row(
                    ctx, ctx.row_cells(table, i, PERSON_INPUT), today, pinyin_cache
                )
            except Rejected as problem:
                ctx.reject(table, i, key, problem)
                state[i] = REJECTED
                continue
            output.set_row(i, values)
            households_of[i] = household
    # Store the persons, then let the database overrule the present ones.
    store.index = index
    store.key = key_list
    store.state = state
    store.line = [table.line(i) for i in range(n)] if table.lines else list(range(2, n + 2))
    store.pk = [None] * n
    store.birth = output.birth_date
    store.death = output.death_date
    store.sex = output.sex
    store.status = output.status
    store.unit = output.unit_id
    store.household = households_of
    store.floating = output.floating
    store.columns = output
    existing = ctx.writer.fetch_in(
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
        state[position] = PRESENT
        counts.present += 1
        store.pk[position] = found[0]
        changed = differences(ctx, output, position, found)
        if changed:
            counts.differs += 1
            if ctx.update:  # the file's values stay for the checks and are written later
                ctx.person_updates[position] = found
                continue
            report_differences(ctx, table.file, table.line(position), key_list[position], changed)
        store.birth[position] = value_iso(found[5])
        store.death[position] = value_iso(found[6])
        store.sex[position] = found[4]
        store.status[position] = found[7]
        store.unit[position] = found[8]
    _check_numbers(ctx, table, output.id_number)
    counts.rejected = ctx.rejected_count("persons")


def _pinyin(ctx: LoadState, names: Any) -> tuple[list[str], list[str]]:
    """(pinyin, initials) columns, computing each distinct name once."""
    import pyarrow as pa
    import pyarrow.compute as pc

    distinct = pc.unique(names)
    keys = [name_keys(name) for name in distinct.to_pylist()]
    at = pc.index_in(names, value_set=distinct)
    pinyin = pa.array([k[0] for k in keys], pa.string()).take(at).to_pylist()
    initials = pa.array([k[1] for k in keys], pa.string()).take(at).to_pylist()
    return pinyin, initials


def _check_numbers(ctx: LoadState, table: Table, numbers: list[str | None]) -> None:
    """An ID number may appear once in the file (the first accepted row keeps it) and must
    not belong to another person in the database."""
    store = ctx.persons
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
                ctx.reject(
                    table,
                    i,
                    store.key[i],
                    Rejected(
                        "id_number",
                        "duplicate_id_number",
                        f"身份证号与第{line}行重复",
                        f"the ID number is also on line {line}",
                    ),
                )
                state[i] = REJECTED
    _check_numbers_in_database(ctx, table, numbers, distinct)


def _person_row(
    ctx: LoadState,
    row: tuple[str, ...],
    today: str,
    pinyin_cache: dict[str, tuple[str, str]],
) -> tuple[PersonRow, int | None]:
    (
        key, number, name, former_names, sex, birth, ethnic, hukou_type, hukou_type_since,
        hukou_division, hukou_unit_code, residence_unit_code, phone, status, death,
        cert_no, cert_date, household_no, relation,
    ) = row  # fmt: skip
    SPEC.check_text("person_key", key)
    SPEC.check_text("name", name)
    for problem in rules.check_name(name):
        raise Rejected(problem.field, problem.code, problem.message_zh, problem.message_en)
    SPEC.check_length("former_names", former_names)
    code = SPEC.code_map("sex").get(sex)
    if code is None:
        if not sex:
            raise required_problem("sex")
        raise Rejected(
            "sex", "sex", f"性别“{sex}”无效：应为 M 或 F（男/女）",
            f"invalid sex '{sex}': use M or F (男/女)",
        )  # fmt: skip
    sex = code
    if not birth:
        raise required_problem("birth_date")
    try:
        birth = iso_date(birth)
    except InvalidDate as error:
        raise problem_of(error, "birth_date") from None
    if birth > today:
        raise Rejected(
            "birth_date", "future", "出生日期晚于今天", "the birth date is in the future"
        )
    # ID number: the common case (18 ASCII characters, right checksum, agreeing with the
    # birth date and sex) is decided here; anything else goes through the rules.
    if number:
        problems = rules.check_id_number(number, as_date(birth), sex)
        if problems:
            first = problems[0]
            raise Rejected(first.field, first.code, first.message_zh, first.message_en)
        number = idnumber.parse(number).number
    if ethnic:
        if len(ethnic) == 1 and ethnic.isdigit():
            ethnic = "0" + ethnic
        if ethnic not in SPEC.code_map("ethnic_group"):
            raise Rejected(
                "ethnic_group", "ethnic_group", f"民族代码“{ethnic}”无效（GB 3304）",
                f"invalid ethnic group code '{ethnic}' (GB 3304)",
            )  # fmt: skip
    else:
        ethnic = "01"
    if hukou_type:
        value = SPEC.code_map("hukou_type").get(hukou_type)
        if value is None:
            raise Rejected(
                "hukou_type", "hukou_type", f"户口性质“{hukou_type}”无效",
                f"invalid hukou_type '{hukou_type}' (agricultural, non_agricultural, unified)",
            )  # fmt: skip
        hukou_type = value
    hukou_type_since = optional_date("hukou_type_since", hukou_type_since)
    if hukou_division:
        hukou_division = divisions.normalise_code(hukou_division)
        if len(hukou_division) != 12 or not hukou_division.isdigit():
            raise Rejected(
                "hukou_division", "division", f"户籍地区划代码“{hukou_division}”应为12位数字",
                f"hukou_division '{hukou_division}' must be 12 digits",
            )  # fmt: skip
    hukou_unit = ctx.unit("hukou_unit_code", hukou_unit_code) if hukou_unit_code else None
    residence_unit = (
        ctx.unit("residence_unit_code", residence_unit_code) if residence_unit_code else None
    )
    if hukou_unit is None and residence_unit is None:
        raise Rejected(
            "hukou_unit_code",
            "no_unit",
            "户籍单位代码（hukou_unit_code）和居住单位代码（residence_unit_code）至少填一个",
            "at least one of hukou_unit_code and residence_unit_code is required",
        )
    SPEC.check_length("phone", phone)
    if status:
        value = SPEC.code_map("status").get(status)
        if value is None:
            raise Rejected(
                "status", "status", f"状态“{status}”无效（alive、deceased、moved_away）",
                f"invalid status '{status}' (alive, deceased, moved_away)",
            )  # fmt: skip
        status = value
    death = optional_date("death_date", death)
    if not status:
        status = "deceased" if death else "alive"
    if status == "deceased" and death is None:
        raise Rejected(
            "death_date", "required", "状态为死亡时必须填写死亡日期",
            "death_date is required when the status is deceased",
        )  # fmt: skip
    if death is not None:
        if status != "deceased":
            raise Rejected(
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
            raise Rejected(
                "death_date", problems[0].code, problems[0].message_zh, problems[0].message_en
            )
    SPEC.check_length("only_child_cert_no", cert_no)
    cert_date = optional_date("only_child_cert_date", cert_date)
    household = None
    if household_no:
        position = ctx.households.index.get(household_no)
        if position is None:
            raise Rejected(
                "household_no", "unknown_household", f"未知的户号“{household_no}”",
                f"unknown household number '{household_no}'",
            )  # fmt: skip
        if ctx.households.state[position] == REJECTED:
            line = ctx.households.line[position]
            raise Rejected(
                "household_no", "household_rejected", f"户第{line}行被拒绝",
                f"household row {line} was rejected",
            )  # fmt: skip
        household = position
    if relation:
        if len(relation) == 1 and relation.isdigit():
            relation = "0" + relation
        if relation not in SPEC.code_map("relation_to_head"):
            raise Rejected(
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
    values = PersonRow(
        key, number or None, name, former_names, keys[0], keys[1], sex, birth, ethnic,
        hukou_type, hukou_type_since, hukou_division, phone, status, death, floating,
        cert_no, cert_date, relation, hukou_unit, residence_unit, unit,
    )  # fmt: skip
    return values, household


def _check_numbers_in_database(
    ctx: LoadState, table: Table, numbers: list[str | None], distinct: set[str]
) -> None:
    """A new person's ID number registered for another person rejects the row."""
    store = ctx.persons
    found = ctx.writer.fetch_in(
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
        ctx.report.rejected.append(
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
        ctx.rejected_rows["persons"].add(store.line[position])
