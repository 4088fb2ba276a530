"""Bank result files that cannot hurt: a size limit, parsing and matching in the background
with a progress endpoint, problems capped at 200 with the count and a full CSV report,
the same content (CRLF, another encoding, another order) imported once, a line reported
paid twice opening a case, and every amount a finite decimal within the programme's
limit, refused with its row number, never a 500."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from renkou.benefits import actions, rules, tasks
from renkou.benefits.models import BankImport, BankResult, Case
from tests.benefits.conftest import accounts_for, jiangfu, run_to_approval
from tests.conftest import api_headers

pytestmark = pytest.mark.django_db

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
HEADER = "序号,身份证号,姓名,账号,金额,状态,失败原因"


@pytest.fixture
def roster(cast, village):
    cycle = run_to_approval(cast, jiangfu(), 2025)
    accounts_for(cast, [*village.a, *village.b])
    return actions.build_roster(actor=cast.district_staff, cycle=cycle, unit=cast.unit("district"))


def _lines(roster) -> list[str]:
    return [
        f"{x.line_no},{x.person.id_number},{x.person.name},{x.account_no},{x.amount},成功,"
        for x in roster.lines.select_related("person").order_by("line_no")
    ]


def _file(tmp_path, rows, *, name="bank.csv", newline="\n", encoding="gb18030"):
    path = tmp_path / name
    path.write_bytes((newline.join([HEADER, *rows]) + newline).encode(encoding))
    return path


def _login(client, cast, who="district_staff"):
    client.force_login(cast.users[who], backend="renkou.core.backends.RoleBackend")
    return client


# (a) size ---------------------------------------------------------------------------------------


def test_a_file_above_the_limit_is_refused_before_parsing(client, cast, roster, tmp_path, settings):
    settings.RENKOU_BANK_FILE_MAX_BYTES = 300
    rows = _lines(roster) * 3
    path = _file(tmp_path, rows)
    assert path.stat().st_size > 300
    with pytest.raises(actions.BankFileError, match="过大|too large"):
        actions.import_bank_result(actor=None, roster=roster, path=path)
    upload = SimpleUploadedFile("bank.csv", path.read_bytes(), "text/csv")
    response = _login(client, cast).post(
        reverse("benefits-roster-bank", args=[roster.pk]), {"file": upload}, follow=True
    )
    assert "300" in response.content.decode()
    api = client.post(
        f"/api/v1/benefits/rosters/{roster.pk}/bank-results",
        {"file": SimpleUploadedFile("bank.csv", path.read_bytes(), "text/csv")},
        **api_headers(cast, "district_staff"),
    )
    assert api.status_code == 422
    assert not BankImport.objects.exists()


# (b) background task and progress ---------------------------------------------------------------


def test_the_page_queues_the_file_and_the_progress_endpoint_follows_it(
    client, cast, roster, tmp_path
):
    path = _file(tmp_path, _lines(roster))
    upload = SimpleUploadedFile("bank.csv", path.read_bytes(), "text/csv")
    response = _login(client, cast).post(
        reverse("benefits-roster-bank", args=[roster.pk]), {"file": upload}
    )
    bank_import = BankImport.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("benefits-import", args=[bank_import.pk])
    # the database backend: queued for `renkou db_worker`, nothing matched in the request
    assert bank_import.status == "queued" and not BankResult.objects.exists()
    assert DBTaskResult.objects.count() == 1
    progress = client.get(reverse("benefits-import-progress", args=[bank_import.pk]))
    body = progress.content.decode()
    assert 'data-status="queued"' in body and "hx-get" in body
    state = client.get(
        f"/api/v1/benefits/bank-imports/{bank_import.pk}", **api_headers(cast, "district_staff")
    ).json()
    assert (state["status"], state["progress"]) == ("queued", 0)

    assert tasks.process_bank_import.call(bank_import.pk) == "done"  # what the worker runs
    body = client.get(reverse("benefits-import-progress", args=[bank_import.pk])).content.decode()
    assert 'data-status="done"' in body and "hx-get" not in body and "100%" in body
    state = client.get(
        f"/api/v1/benefits/bank-imports/{bank_import.pk}", **api_headers(cast, "district_staff")
    ).json()
    assert state["status"] == "done" and state["progress"] == state["total"] == state["rows"] == 4
    assert set(roster.lines.values_list("status", flat=True)) == {"paid"}


def test_the_api_runs_the_task_and_answers_with_its_state(client, cast, roster, tmp_path, settings):
    settings.TASKS = IMMEDIATE
    url = f"/api/v1/benefits/rosters/{roster.pk}/bank-results"
    headers = api_headers(cast, "district_staff")
    data = _file(tmp_path, _lines(roster)).read_bytes()
    first = client.post(url, {"file": SimpleUploadedFile("b.csv", data, "text/csv")}, **headers)
    assert first.status_code == 201 and first.json()["status"] == "done"
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    other = _file(tmp_path, _lines(roster)[:2], name="part.csv").read_bytes()
    queued = client.post(url, {"file": SimpleUploadedFile("p.csv", other, "text/csv")}, **headers)
    assert queued.status_code == 202 and queued.json()["status"] == "queued"


# (c) problems capped, full report ---------------------------------------------------------------


def test_an_all_bad_file_keeps_200_problems_the_count_and_a_full_escaped_report(
    client, cast, roster, tmp_path
):
    rows = [f'{n},,,,=HYPERLINK("http://evil.example/"),成功,' for n in range(1, 451)]
    bank_import, created = tasks.queue_bank_import(
        actor=None, roster=roster, path=_file(tmp_path, rows)
    )
    bank_import = actions.run_bank_import(import_id=bank_import.pk)
    assert created and bank_import.status == "failed"
    assert bank_import.error_count == 450 and len(bank_import.errors) == rules.BANK_ERRORS_SHOWN
    assert bank_import.errors[0]["row"] == 2 and bank_import.content is None
    assert not BankResult.objects.exists() and not Case.objects.filter(kind="amount_mismatch")
    page = _login(client, cast).get(reverse("benefits-import", args=[bank_import.pk]))
    text = page.content.decode()
    assert "450" in text and text.count("<tr><td>") == rules.BANK_ERRORS_SHOWN
    report = client.get(reverse("benefits-import-report", args=[bank_import.pk]))
    assert report["Content-Type"] == "text/csv"
    table = list(csv.reader(io.StringIO(report.content.decode("utf-8-sig"))))
    assert len(table) == 1 + 450
    assert table[1][0] == "2" and table[1][2].startswith("'=HYPERLINK")
    with pytest.raises(actions.BankFileError) as raised:  # at once: the same cap, the count
        actions.import_bank_result(
            actor=None, roster=roster, path=_file(tmp_path, rows[:300], name="b2.csv")
        )
    assert raised.value.total == 300 and len(raised.value.messages) == 201
    assert "300" in raised.value.messages[-1]


# (d) duplicates by content ----------------------------------------------------------------------


def test_the_same_content_with_crlf_another_encoding_or_order_is_one_import(cast, roster, tmp_path):
    rows = _lines(roster)
    first, created = actions.import_bank_result(
        actor=None, roster=roster, path=_file(tmp_path, rows)
    )
    assert created
    variants = [
        _file(tmp_path, rows, name="crlf.csv", newline="\r\n"),
        _file(tmp_path, rows, name="utf8.csv", encoding="utf-8-sig"),
        _file(tmp_path, list(reversed(rows)), name="sorted.csv", newline="\r\n"),
    ]
    for path in variants:
        again, created = actions.import_bank_result(actor=None, roster=roster, path=path)
        assert (again.pk, created) == (first.pk, False), path.name
    assert BankImport.objects.count() == 1
    assert BankResult.objects.count() == len(rows)


def test_a_line_reported_paid_twice_opens_a_case_within_and_across_files(cast, roster, tmp_path):
    rows = _lines(roster)
    actions.import_bank_result(actor=None, roster=roster, path=_file(tmp_path, [*rows, rows[0]]))
    duplicates = Case.objects.filter(roster=roster, kind="duplicate_paid")
    assert [case.line.line_no for case in duplicates] == [1]
    # a second file (different content) reports line 2 paid again
    actions.import_bank_result(
        actor=None, roster=roster, path=_file(tmp_path, [rows[1]], name="again.csv")
    )
    assert sorted(case.line.line_no for case in duplicates.all()) == [1, 2]


# (e) amounts ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "amount", ["Infinity", "-Infinity", "NaN", "sNaN", "1E+20", "-5", "1.234", "abc", "99999"]
)
def test_an_amount_that_is_not_a_finite_decimal_within_the_limit_is_a_row_error(
    client, cast, roster, tmp_path, settings, amount
):
    settings.TASKS = IMMEDIATE
    rows = _lines(roster)
    cells = rows[2].split(",")
    cells[4] = amount
    rows[2] = ",".join(cells)
    with pytest.raises(actions.BankFileError) as raised:
        actions.import_bank_result(actor=None, roster=roster, path=_file(tmp_path, rows))
    assert [(p["row"], p["field"]) for p in raised.value.problems] == [(4, "金额/amount")]
    response = client.post(
        f"/api/v1/benefits/rosters/{roster.pk}/bank-results",
        {"file": SimpleUploadedFile("b.csv", _file(tmp_path, rows).read_bytes(), "text/csv")},
        **api_headers(cast, "district_staff"),
    )
    assert response.status_code == 422
    assert "第4行" in json.dumps(response.json(), ensure_ascii=False)


def test_the_programme_limit_is_twelve_months_of_its_highest_standard():
    amounts = [{"from": "2008-01-01", "monthly": 50}, {"from": "2024-01-01", "monthly": 80}]
    assert rules.max_bank_amount(amounts, []) == 960
    assert rules.max_bank_amount(amounts, [{"from": "2024-01-01", "monthly": 20}]) == 1200
    assert rules.max_bank_amount([], []) == rules.MONEY_LIMIT
