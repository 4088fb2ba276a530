"""Check-then-insert paths of the benefits app cannot make duplicates or 500s when two
requests arrive together: the same bank file uploaded four times at once, two searches for
candidates, a cycle or roster opened twice. Each duplicate gets the check's clear answer."""

from __future__ import annotations

import time
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.db.models.query import QuerySet

from renkou.benefits import actions
from renkou.benefits.models import BankImport, BankResult, Candidate, Cycle, Roster
from renkou.lib import formats
from tests.benefits.conftest import accounts_for, build_village, jiangfu, run_to_approval
from tests.concurrency import run_at_once

HEADER = "序号,身份证号,姓名,账号,金额,状态,失败原因\n"


def _roster(cast, village):
    cycle = run_to_approval(cast, jiangfu(), 2025)
    accounts_for(cast, [*village.a, *village.b])
    return actions.build_roster(actor=cast.district_staff, cycle=cycle, unit=cast.unit("district"))


def _bank_file(tmp_path, roster):
    rows = [
        f"{x.line_no},{x.person.id_number},{x.person.name},{x.account_no},{x.amount},成功,\n"
        for x in roster.lines.select_related("person").order_by("line_no")
    ]
    path = tmp_path / "bank.csv"
    path.write_bytes((HEADER + "".join(rows)).encode("gb18030"))
    return path


def _slowly(module, name: str):
    """Patch `module.name` to wait a moment first: widens the window between a check and
    the insert it guards, as a slow request would."""
    real = getattr(module, name)

    def slow(*args, **kwargs):
        time.sleep(0.2)
        return real(*args, **kwargs)

    return mock.patch.object(module, name, side_effect=slow)


@pytest.mark.django_db(transaction=True)
def test_four_simultaneous_uploads_of_one_bank_file_make_one_import(cast, tmp_path):
    roster = _roster(cast, build_village(cast))
    path = _bank_file(tmp_path, roster)

    def upload():
        return actions.import_bank_result(actor=cast.district_staff, roster=roster, path=path)

    with _slowly(formats, "read_table"):
        results = run_at_once(upload, 4)
    assert all(isinstance(r, tuple) for r in results), results
    assert sorted(created for _imp, created in results) == [False, False, False, True]
    assert len({imp.pk for imp, _created in results}) == 1
    assert BankImport.objects.count() == 1
    assert BankResult.objects.count() == roster.line_count


@pytest.mark.django_db
def test_an_upload_that_passed_the_check_gets_already_imported(cast, village, tmp_path):
    """The race made deterministic: the second upload's check ran before the first wrote."""
    roster = _roster(cast, village)
    path = _bank_file(tmp_path, roster)
    first, created = actions.import_bank_result(actor=None, roster=roster, path=path)
    assert created
    real = actions._existing_import
    seen: list[int] = []

    def too_early(*args):
        seen.append(1)
        return None if len(seen) == 1 else real(*args)

    with mock.patch.object(actions, "_existing_import", side_effect=too_early):
        again, created = actions.import_bank_result(actor=None, roster=roster, path=path)
    assert (again.pk, created) == (first.pk, False)
    assert BankImport.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_searches_for_candidates_leave_one_set(cast):
    build_village(cast)
    cycle = actions.open_cycle(
        actor=cast.district_staff, programme=jiangfu(), year=2025, district=cast.unit("district")
    )
    before = sorted(cycle.candidates.values_list("person_id", flat=True))

    with _slowly(actions, "_insert_candidates"):
        results = run_at_once(lambda: actions.find_candidates(cycle=cycle), 2)
    assert all(isinstance(r, dict) for r in results), results
    assert sorted(Candidate.objects.filter(cycle=cycle).values_list("person_id", flat=True)) == (
        before
    )


@pytest.mark.django_db
def test_a_cycle_or_roster_opened_twice_gets_the_clear_message(cast, village):
    cycle = run_to_approval(cast, jiangfu(), 2025)
    district = cast.unit("district")
    # the existence checks ran before the other request wrote (the race, made deterministic)
    race = mock.patch.object(QuerySet, "exists", return_value=False)
    with race, pytest.raises(ValidationError, match="已有资格确认|already has a cycle"):
        actions.open_cycle(
            actor=cast.district_staff, programme=jiangfu(), year=2025, district=district
        )
    actions.build_roster(actor=cast.district_staff, cycle=cycle, unit=district)
    with race, pytest.raises(ValidationError, match="名册已生成|roster of this unit exists"):
        actions.build_roster(actor=cast.district_staff, cycle=cycle, unit=district)
    assert Cycle.objects.count() == 1 and Roster.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_simultaneous_first_accounts_and_facts_make_one_row_each(cast):
    from renkou.benefits.models import BankAccount, BenefitFact
    from tests.benefits.conftest import D, person

    elder = person(cast, "老人丙", "F", D(1950, 1, 1), "group")

    def account():
        return actions.set_bank_account(
            actor=cast.district_staff, person=elder, bank_name="农商行",
            account_no="6228480000001234567",
        )  # fmt: skip

    def fact():
        return actions.record_fact(
            actor=cast.district_staff, person=elder, kind="complication_grade", value=2,
            evidence="鉴定书",
        )  # fmt: skip

    def slow_save(model):
        real = model.save

        def save(self, *args, **kwargs):
            time.sleep(0.2)
            return real(self, *args, **kwargs)

        return mock.patch.object(model, "save", new=save)

    with slow_save(BankAccount), slow_save(BenefitFact):
        results = run_at_once(account, 3) + run_at_once(fact, 3)
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert BankAccount.objects.filter(person=elder).count() == 1
    assert BenefitFact.objects.filter(person=elder).count() == 1


@pytest.mark.django_db(transaction=True)
def test_four_simultaneous_api_uploads_answer_accepted_once_and_imported_before_thrice(
    cast, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    from tests.conftest import api_headers

    roster = _roster(cast, build_village(cast))
    data = _bank_file(tmp_path, roster).read_bytes()
    url = f"/api/v1/benefits/rosters/{roster.pk}/bank-results"
    headers = api_headers(cast, "district_staff")

    def upload():
        upload = SimpleUploadedFile("bank.csv", data, "text/csv")
        response = Client().post(url, {"file": upload}, **headers)
        return response.status_code, response.json().get("created")

    with _slowly(formats, "detect_encoding"):
        results = run_at_once(upload, 4)
    # the database backend queues the file (202); the same file again: 200, created false
    assert sorted(results) == [(200, False), (200, False), (200, False), (202, True)], results
    assert BankImport.objects.count() == 1
