"""`renkou units import`: real files (UTF-8, GB18030, XLSX), ordering, idempotence, rejections."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from renkou.core import actions
from renkou.core.models import ChangeType, OrgUnit, OrgUnitChange
from renkou.core.unit_import import import_units, parse_kind
from renkou.lib.formats import TableError, detect_encoding

DISTRICT = "510199000000"
TOWN = "510199002000"
VILLAGE = "510199002001"
GROUP = "510199002001001"

# Children first: the importer must sort parents before them. Lines 2, 3, 4.
TREE_REVERSED = [
    (GROUP, "新村一组", "group", VILLAGE),
    (VILLAGE, "新村", "village", TOWN),
    (TOWN, "新镇", "town", DISTRICT),
]
TREE_REVERSED_ZH = [
    (GROUP, "新村一组", "组", VILLAGE),
    (VILLAGE, "新村", "村委会", TOWN),
    (TOWN, "新镇", "镇", DISTRICT),
]
HEADER_EN = ("code", "name", "kind", "parent code")
HEADER_ZH = ("区划代码", "名称", "类型", "上级代码")


def write_csv(path, rows, *, header=HEADER_EN, encoding="utf-8"):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def write_xlsx(path, rows, *, header=HEADER_EN):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    workbook.save(path)
    return path


def counts() -> tuple[int, int]:
    return OrgUnit.objects.count(), OrgUnitChange.objects.count()


def assert_tree_imported(cast):
    district = cast.unit("district")
    town = OrgUnit.objects.get(code=TOWN)
    village = OrgUnit.objects.get(code=VILLAGE)
    group = OrgUnit.objects.get(code=GROUP)
    assert (town.name, town.kind, town.level, town.parent_id) == ("新镇", "town", 2, district.pk)
    assert (village.name, village.kind, village.level, village.parent_id) == (
        "新村",
        "village",
        3,
        town.pk,
    )
    assert (group.name, group.kind, group.level, group.parent_id) == (
        "新村一组",
        "group",
        4,
        village.pk,
    )
    assert town.path.startswith(district.path)
    assert village.path.startswith(town.path)
    assert group.path.startswith(village.path)
    for unit in (town, village, group):
        change = OrgUnitChange.objects.get(unit=unit)
        assert change.change_type == ChangeType.CREATE


def test_utf8_csv_in_reverse_order_creates_parents_first(cast, tmp_path):
    path = write_csv(tmp_path / "units.csv", TREE_REVERSED)
    before_units, before_changes = counts()

    report = import_units(path)

    assert report.rejected == []
    assert report.created == [TOWN, VILLAGE, GROUP]  # parents first
    assert report.unchanged == []
    assert report.written is True
    assert counts() == (before_units + 3, before_changes + 3)
    assert_tree_imported(cast)


def test_gb18030_csv_with_chinese_headers_and_kind_words(cast, tmp_path):
    path = write_csv(tmp_path / "units.csv", TREE_REVERSED_ZH, header=HEADER_ZH, encoding="gb18030")
    assert detect_encoding(path.read_bytes()) == "gb18030"  # really not UTF-8

    report = import_units(path)

    assert report.rejected == []
    assert sorted(report.created) == sorted([TOWN, VILLAGE, GROUP])
    assert_tree_imported(cast)


def test_xlsx_with_numeric_code_cells(cast, tmp_path):
    # Excel keeps codes typed without a leading apostrophe as numbers.
    rows = [(int(code), name, kind, int(parent)) for code, name, kind, parent in TREE_REVERSED]
    path = write_xlsx(tmp_path / "units.xlsx", rows)

    report = import_units(path)

    assert report.rejected == []
    assert len(report.created) == 3
    assert_tree_imported(cast)


def test_reimporting_the_same_file_changes_nothing(cast, tmp_path):
    path = write_csv(tmp_path / "units.csv", TREE_REVERSED)
    import_units(path)
    after_first = counts()
    history_rows = OrgUnit.history.count()

    report = import_units(path)

    assert report.created == []
    assert sorted(report.unchanged) == sorted([TOWN, VILLAGE, GROUP])
    assert report.rejected == []
    assert counts() == after_first
    assert OrgUnit.history.count() == history_rows


def test_existing_cast_units_in_the_file_are_unchanged(cast, tmp_path):
    rows = [
        ("510199001001", "东门社区", "社区", "510199001000"),
        ("510199001000", "东城街道", "街道", DISTRICT),
        ("510199001003", "新社区", "居委会", "510199001000"),
    ]
    report = import_units(write_csv(tmp_path / "units.csv", rows))

    assert report.rejected == []
    assert sorted(report.unchanged) == ["510199001000", "510199001001"]
    assert report.created == ["510199001003"]
    assert OrgUnit.objects.get(code="510199001003").parent_id == cast.units["township"].pk


def test_existing_code_with_different_data_is_rejected_saying_what_differs(cast, tmp_path):
    rows = [("510199001001", "东门新社区", "community", "510199001000")]
    before = counts()

    report = import_units(write_csv(tmp_path / "units.csv", rows))

    assert len(report.rejected) == 1
    rejection = report.rejected[0]
    assert (rejection.line, rejection.field) == (2, "name")
    assert "东门社区" in rejection.message_zh and "东门新社区" in rejection.message_zh
    assert "name" in rejection.message_en and "different data" in rejection.message_en
    assert counts() == before
    assert cast.unit("village").name == "东门社区"


def test_one_bad_row_writes_nothing_and_names_line_and_field(cast, tmp_path):
    rows = [
        (TOWN, "新镇", "town", DISTRICT),
        (VILLAGE, "新村", "村", TOWN),
        ("51019900200X", "坏村", "村", TOWN),  # line 4: bad code
        ("510199002002", "好村", "村", TOWN),
    ]
    before = counts()

    report = import_units(write_csv(tmp_path / "units.csv", rows))

    assert report.written is False
    assert report.created == []
    assert [(r.line, r.field) for r in report.rejected] == [(4, "code")]
    assert "51019900200X" in report.rejected[0].message_zh
    assert "12 digits" in report.rejected[0].message_en
    assert counts() == before
    assert not OrgUnit.objects.filter(code__in=[TOWN, VILLAGE, "510199002002"]).exists()


def test_partial_writes_the_good_rows(cast, tmp_path):
    rows = [
        (TOWN, "新镇", "town", DISTRICT),
        ("510199002002", "坏村", "group", TOWN),  # line 3: kind not valid at level 3
        (VILLAGE, "新村", "村", TOWN),
    ]
    before_units, _ = counts()

    report = import_units(write_csv(tmp_path / "units.csv", rows), partial=True)

    assert report.written is True
    assert report.created == [TOWN, VILLAGE]
    assert [(r.line, r.field) for r in report.rejected] == [(3, "kind")]
    assert "level 3" in report.rejected[0].message_en
    assert OrgUnit.objects.count() == before_units + 2
    assert not OrgUnit.objects.filter(code="510199002002").exists()


def test_child_of_a_rejected_row_is_rejected_too(cast, tmp_path):
    rows = [
        (GROUP, "新村一组", "组", VILLAGE),  # line 2: its parent (line 3) is rejected
        (VILLAGE, "新村", "村", "510199003000"),  # line 3: wrong parent code
        (TOWN, "新镇", "镇", DISTRICT),  # line 4: fine
    ]
    report = import_units(write_csv(tmp_path / "units.csv", rows), partial=True)

    by_line = {r.line: r for r in report.rejected}
    assert sorted(by_line) == [2, 3]
    assert by_line[3].field == "parent_code"
    assert by_line[2].field == "parent_code"
    assert by_line[2].message_en == "parent row 3 was rejected"
    assert "第3行" in by_line[2].message_zh
    assert report.created == [TOWN]
    assert not OrgUnit.objects.filter(code__in=[VILLAGE, GROUP]).exists()


def test_child_of_a_row_rejected_while_reading_is_rejected_too(cast, tmp_path):
    rows = [
        (VILLAGE, "新村", "村", TOWN),  # line 2
        (TOWN, "", "镇", DISTRICT),  # line 3: no name
    ]
    report = import_units(write_csv(tmp_path / "units.csv", rows), partial=True)

    assert [(r.line, r.field) for r in report.rejected] == [(2, "parent_code"), (3, "name")]
    assert report.rejected[0].message_en == "parent row 3 was rejected"
    assert report.rejected[1].message_en == "missing name"
    assert report.created == []


@pytest.mark.parametrize(
    ("row", "field", "needle_en"),
    [
        (("", "无代码", "村", TOWN), "code", "missing code"),
        ((VILLAGE, "新村", "", TOWN), "kind", "missing kind"),
        ((VILLAGE, "新村", "农场", TOWN), "kind", "unknown kind"),
        ((VILLAGE, "新村", "村", ""), "parent_code", "missing parent code"),
        (("510199003001", "新村", "村", "510199003000"), "parent_code", "unknown parent"),
        ((VILLAGE, "新村", "村", "510198002000"), "parent_code", "does not lie under"),
        (("510199001009", "新村", "村", "510199001001"), "parent_code", "parent of"),
        (("510199001009", "新村", "镇", "510199001000"), "kind", "level 3"),
    ],
)
def test_row_rejections_name_the_field(cast, tmp_path, row, field, needle_en):
    rows = [(TOWN, "新镇", "town", DISTRICT), row]
    before = counts()

    report = import_units(write_csv(tmp_path / "units.csv", rows))

    assert [(r.line, r.field) for r in report.rejected] == [(3, field)]
    assert needle_en in report.rejected[0].message_en
    assert report.rejected[0].message_zh != report.rejected[0].message_en
    assert counts() == before


def test_duplicate_code_within_the_file(cast, tmp_path):
    rows = [
        (TOWN, "新镇", "town", DISTRICT),
        (VILLAGE, "新村", "村", TOWN),
        (VILLAGE, "新村", "村", TOWN),
    ]
    report = import_units(write_csv(tmp_path / "units.csv", rows))

    assert [(r.line, r.field) for r in report.rejected] == [(3, "code"), (4, "code")]
    assert "line 4" in report.rejected[0].message_en
    assert "more than once" in report.rejected[1].message_en
    assert not OrgUnit.objects.filter(code=TOWN).exists()


def test_closed_parent_is_rejected(cast, tmp_path):
    actions.close_unit(actor=None, unit=cast.unit("village2"), closed_on=datetime.date(2020, 1, 1))
    rows = [("510199001002009", "九栋", "楼栋", "510199001002")]

    report = import_units(write_csv(tmp_path / "units.csv", rows))

    assert [(r.line, r.field) for r in report.rejected] == [(2, "parent_code")]
    assert "closed" in report.rejected[0].message_en
    assert "撤销" in report.rejected[0].message_zh
    assert not OrgUnit.objects.filter(code="510199001002009").exists()


def test_parse_kind_accepts_english_and_chinese_words():
    assert parse_kind("Street") == "street"
    assert parse_kind(" 街道 ") == "street"
    assert parse_kind("居委会") == "community"
    assert parse_kind("村委会") == "village"
    assert parse_kind("楼栋") == "building"
    assert parse_kind("县") == "county"
    assert parse_kind("农场") is None


def test_missing_column_raises_table_error(cast, tmp_path):
    path = tmp_path / "units.csv"
    path.write_text("code,name,kind\n510199002000,新镇,镇\n", encoding="utf-8")
    with pytest.raises(TableError) as caught:
        import_units(path)
    assert "parent code" in caught.value.message_en
    assert "上级代码" in caught.value.message_zh


def test_actor_needs_import_permission_and_scope(cast, tmp_path):
    path = write_csv(tmp_path / "units.csv", TREE_REVERSED)
    with pytest.raises(PermissionDenied):
        import_units(path, actor=cast.township_staff)

    # The neighbouring district's administrator cannot see 锦城区: its code looks unknown.
    report = import_units(path, actor=cast.outsider)
    assert [(r.line, r.field) for r in report.rejected] == [
        (2, "parent_code"),
        (3, "parent_code"),
        (4, "parent_code"),
    ]
    assert "unknown parent code '510199000000'" in report.rejected[2].message_en
    assert report.rejected[0].message_en == "parent row 3 was rejected"

    report = import_units(path, actor=cast.district_admin)
    assert report.rejected == []
    change = OrgUnitChange.objects.get(unit__code=TOWN)
    assert change.actor == cast.district_admin
    assert "units.csv:4" in change.reason


# --- the command ----------------------------------------------------------------------------


def test_command_prints_every_rejected_row_and_exits_non_zero(cast, tmp_path):
    rows = [
        (TOWN, "新镇", "town", DISTRICT),
        ("510199009001", "新村", "村", "510199009000"),  # line 3: unknown parent
        ("510199009001001", "新村一组", "组", "510199009001"),  # line 4: parent row rejected
    ]
    path = write_csv(tmp_path / "units.csv", rows)
    out = io.StringIO()
    before = counts()

    with translation.override("en"), pytest.raises(CommandError) as caught:
        call_command("units", "import", str(path), stdout=out, stderr=io.StringIO())

    output = out.getvalue()
    assert "line 3, parent code: unknown parent code '510199009000'" in output
    assert "line 4, parent code: parent row 3 was rejected" in output
    assert "created 0, unchanged 0, rejected 2" in output
    assert "nothing was written" in str(caught.value)
    assert counts() == before


def test_command_output_in_chinese_names_line_and_column(cast, tmp_path):
    rows = [(TOWN, "新镇", "乡镇", DISTRICT)]
    path = write_csv(tmp_path / "units.csv", rows, header=HEADER_ZH)
    out = io.StringIO()
    with translation.override("zh-hans"), pytest.raises(CommandError):
        call_command("units", "import", str(path), stdout=out, stderr=io.StringIO())
    assert "第2行 类型：无法识别的类型“乡镇”" in out.getvalue()


def test_command_partial_writes_good_rows(cast, tmp_path):
    rows = [
        (TOWN, "新镇", "town", DISTRICT),
        ("510199002002", "坏村", "group", TOWN),
    ]
    path = write_csv(tmp_path / "units.csv", rows)
    out = io.StringIO()
    with translation.override("en"):
        call_command("units", "import", str(path), "--partial", stdout=out, stderr=io.StringIO())
    assert "line 3, kind:" in out.getvalue()
    assert "created 1, unchanged 0, rejected 1" in out.getvalue()
    assert OrgUnit.objects.filter(code=TOWN).exists()


def test_command_dry_run_writes_nothing(cast, tmp_path):
    path = write_csv(tmp_path / "units.csv", TREE_REVERSED)
    before = counts()
    out = io.StringIO()

    with translation.override("en"):
        call_command("units", "import", str(path), "--dry-run", stdout=out)

    assert "created 3, unchanged 0, rejected 0" in out.getvalue()
    assert "nothing was written" in out.getvalue()
    assert counts() == before
    assert not OrgUnit.objects.filter(code__in=[TOWN, VILLAGE, GROUP]).exists()


def test_command_unit_option_restricts_to_subtree(cast, tmp_path):
    rows = [
        ("510199001003", "新社区", "社区", "510199001000"),  # under 东城街道: allowed
        ("510199101202", "新村", "村", "510199101000"),  # under 青山镇: outside
    ]
    path = write_csv(tmp_path / "units.csv", rows)
    out = io.StringIO()
    with translation.override("en"):
        call_command(
            "units",
            "import",
            str(path),
            "--partial",
            "--unit",
            "510199001000",
            stdout=out,
            stderr=io.StringIO(),
        )
    assert "line 3, code: not below the chosen unit" in out.getvalue()
    assert OrgUnit.objects.filter(code="510199001003").exists()
    assert not OrgUnit.objects.filter(code="510199101202").exists()


def test_command_unknown_unit_code_is_a_clear_error(cast, tmp_path):
    path = write_csv(tmp_path / "units.csv", TREE_REVERSED)
    with translation.override("en"), pytest.raises(CommandError, match="unknown unit code '5199'"):
        call_command("units", "import", str(path), "--unit", "5199", stdout=io.StringIO())


def test_export_then_import_round_trip_is_unchanged(cast, tmp_path):
    for name in ("tree.csv", "tree.xlsx"):
        path = tmp_path / name
        call_command("units", "export", str(path), "--unit", DISTRICT, stdout=io.StringIO())
        before = counts()
        report = import_units(path)
        assert report.rejected == []
        assert report.created == []
        # The cast district and its 8 open units below it.
        assert len(report.unchanged) == 9
        assert counts() == before


def test_tree_prints_the_units(cast):
    out = io.StringIO()
    call_command("units", "tree", "--unit", "510199001000", stdout=out)
    text = out.getvalue()
    assert "东城街道" in text and "东门社区1栋" in text and "510199001002" in text
    assert "青山镇" not in text
