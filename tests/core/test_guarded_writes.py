"""Writes only through actions, each checking who may write: the second factor's enrolment,
API-token use, and the benefit facts and bank accounts (issue 12 item 3)."""

from __future__ import annotations

import datetime
import time

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django_otp.oath import TOTP

from renkou.benefits import actions as benefits
from renkou.benefits.models import BankAccount, BenefitFact
from renkou.core import actions
from renkou.core.models import AccessLog, ApiToken
from renkou.lib.scoping import OutOfScope

pytestmark = pytest.mark.django_db


def _code(device) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():0{device.digits}d}"


# --- TOTP -----------------------------------------------------------------------------------------


def test_only_the_holder_enrols_a_second_factor(cast):
    with pytest.raises(PermissionDenied):
        actions.start_totp_enrolment(actor=cast.district_admin, user=cast.grid_worker)
    device = actions.start_totp_enrolment(actor=cast.grid_worker, user=cast.grid_worker)
    assert actions.start_totp_enrolment(actor=cast.grid_worker, user=cast.grid_worker) == device
    with pytest.raises(PermissionDenied):
        actions.confirm_totp_device(actor=cast.outsider, device=device, token=_code(device))
    assert actions.confirm_totp_device(actor=cast.grid_worker, device=device, token=_code(device))
    device.refresh_from_db()
    assert device.confirmed
    other = actions.start_totp_enrolment(actor=cast.township_staff, user=cast.township_staff)
    assert not actions.confirm_totp_device(actor=cast.township_staff, device=other, token="x")
    other.refresh_from_db()
    assert not other.confirmed
    logged = AccessLog.objects.filter(user=cast.grid_worker).values_list("action", flat=True)
    assert sorted(logged) == ["otp_confirm", "otp_enrol"]
    assert AccessLog.objects.filter(user=cast.township_staff).count() == 1  # enrolment only


# --- API tokens -----------------------------------------------------------------------------------


def test_a_token_signs_in_only_while_valid_and_its_use_is_recorded(cast):
    raw = cast.tokens["grid_worker"]
    assert actions.use_api_token(raw=raw) == cast.grid_worker
    token = ApiToken.objects.get(user=cast.grid_worker)
    assert token.last_used_at is not None and token.last_used_at <= timezone.now()
    assert actions.use_api_token(raw=raw + "x") is None
    with pytest.raises(OutOfScope):  # the outsider cannot revoke a token of this district
        actions.revoke_api_token(actor=cast.outsider, token=token)
    actions.revoke_api_token(actor=cast.district_admin, token=token)
    assert actions.use_api_token(raw=raw) is None


# --- benefit facts and bank accounts --------------------------------------------------------------


@pytest.fixture
def person(cast):
    from renkou.registry import actions as registry

    group = cast.units["group"]
    return registry.register_person(
        actor=cast.district_admin, name="钱芳", sex="F", birth_date=datetime.date(1960, 1, 1),
        residence_unit=group, hukou_unit=group,
    )  # fmt: skip


def test_a_fact_outside_the_units_is_refused(cast, person):
    with pytest.raises(OutOfScope):
        benefits.record_fact(
            actor=cast.outsider, person=person, kind="disability_grade", value=2, evidence="证"
        )
    with pytest.raises(PermissionDenied):  # in scope, without the permission
        benefits.record_fact(
            actor=cast.auditor, person=person, kind="disability_grade", value=2, evidence="证"
        )
    assert not BenefitFact.objects.exists()


def test_a_fact_keeps_its_history_with_the_reason(cast, person):
    fact = benefits.record_fact(
        actor=cast.township_staff, person=person, kind="disability_grade", value=2,
        evidence="残疾人证", reason="首次登记",
    )  # fmt: skip
    benefits.record_fact(
        actor=cast.township_staff, person=person, kind="disability_grade", value=3,
        evidence="残疾人证（换证）", reason="换证",
    )  # fmt: skip
    history = list(fact.history.order_by("history_date"))
    assert [(h.value, h.history_change_reason, h.history_user) for h in history] == [
        (2, "首次登记", cast.township_staff),
        (3, "换证", cast.township_staff),
    ]


def test_a_bank_account_outside_the_units_is_refused(cast, person):
    with pytest.raises(OutOfScope):
        benefits.set_bank_account(
            actor=cast.outsider, person=person, bank_name="银行", account_no="6221000011112222"
        )
    with pytest.raises(PermissionDenied):
        benefits.set_bank_account(
            actor=cast.auditor, person=person, bank_name="银行", account_no="6221000011112222"
        )
    assert not BankAccount.objects.exists()


def test_a_bank_account_keeps_its_history_with_the_reason(cast, person):
    account = benefits.set_bank_account(
        actor=cast.district_staff, person=person, bank_name="农村信用社",
        account_no="6221000011112222", reason="开户",
    )  # fmt: skip
    benefits.set_bank_account(
        actor=cast.district_staff, person=person, bank_name="农村信用社",
        account_no="6221000011113333", reason="换卡",
    )  # fmt: skip
    reasons = list(account.history.order_by("history_date").values_list("history_change_reason"))
    assert reasons == [("开户",), ("换卡",)]
