"""Payment rosters and reconciliation with injected mismatches of every kind: roster ↔ bank
(amount, account, failed, missing line, unknown line) and roster ↔ registry (paid after death,
after exit, on two programmes that exclude each other, two persons who are one). Imports are
idempotent, a bad file is refused whole naming the row and field, failed payments re-queue."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from openpyxl import Workbook

from renkou.benefits import actions, queries
from renkou.benefits.models import BankImport, Case, Cycle, Programme, Roster, RosterLine
from renkou.registry import actions as registry
from renkou.registry.models import Person
from tests.benefits.conftest import D, accounts_for, jiangfu, person, run_to_approval

pytestmark = pytest.mark.django_db

HEADER = "序号,身份证号,姓名,账号,金额,状态,失败原因\n"


def _roster(cast, village):
    cycle = run_to_approval(cast, jiangfu(), 2025)
    accounts_for(cast, [*village.a, *village.b])
    roster = actions.build_roster(
        actor=cast.district_staff, cycle=cycle, unit=cast.unit("district")
    )
    return cycle, roster


def _line(roster, no):
    return roster.lines.select_related("person").get(line_no=no)


def _write_csv(tmp_path, text, encoding="gb18030", name="bank.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def _row(line, amount=None, account=None, status="成功", reason=""):
    number = line.person.id_number or ""
    cells = [line.line_no, number, line.person.name, account or line.account_no,
             amount or line.amount, status, reason]  # fmt: skip
    return ",".join(str(cell) for cell in cells) + "\n"


def test_a_line_without_an_account_is_on_the_worklist_before_the_bank_sees_it(cast, village):
    cycle = run_to_approval(cast, jiangfu(), 2025)
    accounts_for(cast, village.a)  # 乙's parents have no account yet
    roster = actions.build_roster(
        actor=cast.district_staff, cycle=cycle, unit=cast.unit("district")
    )
    without = list(roster.lines.filter(account_no="").order_by("line_no"))
    assert [line.person.name for line in without] == ["乙父", "乙母"]
    cases = Case.objects.filter(roster=roster, kind="no_account").order_by("line__line_no")
    assert [(case.line, case.person_id, case.status) for case in cases] == [
        (line, line.person_id, "open") for line in without
    ]
    assert "没有发放账户" in cases[0].detail_zh and "no bank account" in cases[0].detail_en
    actions._flag_lines_without_account(roster)  # flagging again adds nothing
    assert Case.objects.filter(roster=roster, kind="no_account").count() == 2


def test_roster_lines_totals_and_scoping(cast, village):
    _cycle, roster = _roster(cast, village)
    assert roster.line_count == 4 and roster.total == Decimal("3840.00")
    names = [line.person.name for line in roster.lines.select_related("person")]
    assert names == ["甲父", "甲母", "乙父", "乙母"]
    line = _line(roster, 1)
    assert (line.central, line.provincial, line.local) == (
        Decimal("768.00"), Decimal("96.00"), Decimal("96.00"),
    )  # fmt: skip
    assert line.bank_name == "农村信用社" and line.account_no.startswith("6221")
    township = queries.lines_visible_to(cast.township_staff).filter(roster=roster)
    assert sorted(x.person.name for x in township) == ["甲母", "甲父"]
    assert not queries.lines_visible_to(cast.outsider).filter(roster=roster).exists()
    assert not queries.rosters_visible_to(cast.outsider).filter(pk=roster.pk).exists()
    assert queries.rosters_visible_to(cast.township_staff).filter(pk=roster.pk).exists()


def test_every_mismatch_kind_is_caught(cast, village, tmp_path):
    cycle, roster = _roster(cast, village)
    a_father, a_mother = village.a
    b_father, _b_mother = village.b
    # injected: a second record of 甲母 (same name and birth date) and an old 15-digit record of
    # 甲父 (the same ID number), each put on the roster without being approved
    twin = person(cast, "甲母", "F", a_mother.birth_date)
    old = person(cast, "甲父旧", "M", a_father.birth_date)
    id15 = a_father.id_number[:6] + a_father.id_number[8:17]
    Person.objects.filter(pk=old.pk).update(id_number=id15)
    for no, extra in ((5, twin), (6, old)):
        RosterLine.objects.create(roster=roster, line_no=no, person=extra, unit=extra.unit,
                                  amount=Decimal("960"), account_no=f"62210000000{no}")  # fmt: skip
    # the registry moves on: 乙父 dies before the cut-off date
    registry.record_death(actor=cast.district_admin, person=b_father, date=D(2025, 6, 1))
    lines = {no: _line(roster, no) for no in range(1, 7)}
    text = HEADER + "".join([
        _row(lines[1]),
        _row(lines[2], amount="900.00"),
        _row(lines[3], account="6228480000000000001"),
        _row(lines[4], status="失败", reason="账户已销户"),
        # line 5 missing
        _row(lines[6]),
        "99,110105194912310021,查无此人,6222000000000000,960.00,成功,\n",
    ])  # fmt: skip
    bank_import, created = actions.import_bank_result(
        actor=cast.district_staff, roster=roster, path=_write_csv(tmp_path, text)
    )
    assert created and bank_import.rows == 6
    found = {}
    for case in Case.objects.filter(roster=roster):
        found.setdefault(case.kind, set()).add(case.line.line_no if case.line else case.person_id)
    assert found["amount_mismatch"] == {2}
    assert found["account_mismatch"] == {3}
    assert found["payment_failed"] == {4}
    assert found["missing_line"] == {5}
    assert found["unknown_line"] == {None}
    assert found["paid_after_death"] == {3}
    assert found["paid_after_exit"] == {5, 6}
    assert found["same_person"] == {a_father.pk, a_mother.pk}  # each pair's first person
    same = Case.objects.filter(kind="same_person")
    assert {c.detail_en.split("(")[1].split(")")[0] for c in same} == {
        "the same ID number", "the same name and birth date",
    }  # fmt: skip
    assert _line(roster, 4).status == "failed" and _line(roster, 1).status == "paid"
    # idempotent: the same file again, and reconciliation again, add nothing
    count = Case.objects.count()
    again, created = actions.import_bank_result(
        actor=cast.district_staff, roster=roster, path=_write_csv(tmp_path, text)
    )
    assert not created and again.pk == bank_import.pk
    assert actions.reconcile(roster=roster) == {}
    assert Case.objects.count() == count
    # every case is on a township's or the district's worklist, never the outsider's
    assert not queries.cases_visible_to(cast.outsider).exists()
    township = set(queries.cases_visible_to(cast.township_staff).values_list("kind", flat=True))
    assert township == {"amount_mismatch", "missing_line", "same_person", "paid_after_exit"}
    case = Case.objects.filter(kind="amount_mismatch").get()
    actions.resolve_case(actor=cast.township_staff, case=case, resolution="银行补发60元")
    case.refresh_from_db()
    assert case.status == "resolved" and case.resolved_by == cast.township_staff


def test_exclusive_programmes(cast, village):
    died, disabled = (Programme.objects.get(code=c) for c in ("tefu_died", "tefu_disabled"))
    district = cast.unit("district")
    who = village.a[1]
    rosters = []
    for programme in (died, disabled):
        cycle = Cycle.objects.create(programme=programme, year=2025, unit=district,
                                     reference_date=D(2025, 12, 31), status="approved")  # fmt: skip
        roster = Roster.objects.create(cycle=cycle, unit=district)
        RosterLine.objects.create(roster=roster, line_no=1, person=who, unit=who.unit,
                                  amount=Decimal("100"))  # fmt: skip
        rosters.append(roster)
    found = actions.reconcile(roster=rosters[1])
    assert found.get("exclusive") == 1
    case = Case.objects.get(kind="exclusive")
    assert case.person_id == who.pk and "tefu_died" in case.detail_en + case.detail_zh
    # the other side finds the same pair: one case, not two
    actions.reconcile(roster=rosters[0])
    assert Case.objects.filter(kind="exclusive").count() == 1


def test_bad_file_is_refused_whole_naming_row_and_field(cast, village, tmp_path):
    _cycle, roster = _roster(cast, village)
    line = _line(roster, 1)
    text = HEADER + _row(line) + _row(_line(roster, 2), amount="九百") + "3,,,,960,未知,\n"
    with pytest.raises(actions.BankFileError) as caught:
        actions.import_bank_result(actor=None, roster=roster, path=_write_csv(tmp_path, text))
    problems = {(p["row"], p["field"]) for p in caught.value.problems}
    assert problems == {(3, "金额/amount"), (4, "状态/status")}
    assert "第3行" in caught.value.messages[0]
    assert not BankImport.objects.exists() and not Case.objects.exists()
    assert roster.lines.filter(status="pending").count() == 4


def test_utf8_csv_and_xlsx_results(cast, village, tmp_path):
    _cycle, roster = _roster(cast, village)
    lines = [_line(roster, no) for no in range(1, 5)]
    utf8 = "line,id_number,name,account_no,amount,status,reason\n" + "".join(
        _row(x, status="paid") for x in lines[:2]
    )
    actions.import_bank_result(
        actor=None, roster=roster, path=_write_csv(tmp_path, utf8, "utf-8-sig")
    )
    book = Workbook()
    sheet = book.active
    sheet.append(["序号", "身份证号", "姓名", "账号", "金额", "状态", "失败原因"])
    for x in lines[2:]:
        sheet.append(
            [
                x.line_no,
                x.person.id_number,
                x.person.name,
                x.account_no,
                float(x.amount),
                "成功",
                "",
            ]
        )
    path = tmp_path / "bank.xlsx"
    book.save(path)
    _imp, created = actions.import_bank_result(actor=None, roster=roster, path=path)
    assert created
    assert roster.lines.filter(status="paid").count() == 4
    assert not Case.objects.filter(kind__in=["amount_mismatch", "account_mismatch"]).exists()


def test_failed_payments_are_requeued_next_cycle(cast, village, tmp_path):
    _cycle, roster = _roster(cast, village)
    lines = [_line(roster, no) for no in range(1, 5)]
    text = (
        HEADER
        + "".join(_row(x) for x in lines[:3])
        + _row(lines[3], status="失败", reason="户名不符")
    )
    actions.import_bank_result(actor=None, roster=roster, path=_write_csv(tmp_path, text))
    second = run_to_approval(cast, jiangfu(), 2026)
    next_roster = actions.build_roster(actor=None, cycle=second, unit=cast.unit("district"))
    requeued = next_roster.lines.get(requeued_from__isnull=False)
    assert requeued.requeued_from_id == lines[3].pk and requeued.amount == Decimal("960.00")
    assert next_roster.line_count == 5
    # re-queued once only
    third = run_to_approval(cast, jiangfu(), 2027)
    assert (
        not actions.build_roster(actor=None, cycle=third, unit=cast.unit("district"))
        .lines.filter(requeued_from__isnull=False)
        .exists()
    )


def test_roster_needs_an_approved_cycle(cast, village):
    cycle = actions.open_cycle(
        actor=None, programme=jiangfu(), year=2025, district=cast.unit("district")
    )
    with pytest.raises(actions.ValidationError):
        actions.build_roster(actor=None, cycle=cycle, unit=cast.unit("district"))
    assert datetime.date(2025, 12, 31) == cycle.reference_date
