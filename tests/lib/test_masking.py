"""Tests for renkou.lib.masking (no Django, no database)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from renkou.lib.masking import mask_bank_account, mask_id_number, mask_name, mask_phone


@pytest.mark.parametrize("function", [mask_id_number, mask_phone, mask_bank_account, mask_name])
@pytest.mark.parametrize("empty", [None, ""])
def test_empty_gives_empty(function: Callable[[str | None], str], empty: str | None) -> None:
    assert function(empty) == ""


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("11010519491231002X", "110105************"),
        ("11010519491231002x", "110105************"),
        ("110105491231002", "110105*********"),
    ],
)
def test_mask_id_number(number: str, masked: str) -> None:
    assert mask_id_number(number) == masked


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13812345678", "138****5678"),
        (" 138 1234 5678 ", "138****5678"),
        ("138-1234-5678", "138****5678"),
        ("１３８１２３４５６７８", "138****5678"),
        ("+8613812345678", "+86 138****5678"),
        ("+86 138 1234 5678", "+86 138****5678"),
        ("010-12345678", "***-****5678"),
        ("12345678", "****5678"),
        ("110", "***"),
    ],
)
def test_mask_phone(phone: str, masked: str) -> None:
    assert mask_phone(phone) == masked


@pytest.mark.parametrize(
    ("account", "masked"),
    [
        ("6222021234561234", "6222 **** **** 1234"),
        ("6222 0212 3456 1234", "6222 **** **** 1234"),
        ("6222021234567891234", "6222 **** **** *** 1234"),
        ("622202123456", "6222 **** 3456"),
        ("1234567890", "**** ** 7890"),
        ("1234", "****"),
    ],
)
def test_mask_bank_account(account: str, masked: str) -> None:
    assert mask_bank_account(account) == masked


@given(st.text(alphabet="0123456789", min_size=5, max_size=30))
def test_bank_account_keeps_last_4_and_length(account: str) -> None:
    masked = mask_bank_account(account)
    assert masked.endswith(" " + account[-4:])
    assert len(masked.replace(" ", "")) == len(account)
    hidden = masked.replace(" ", "")[:-4]
    assert hidden.strip("*") in ("", account[:4])


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三丰", "张*丰"),
        ("张三", "张*"),
        ("欧阳娜娜", "欧**娜"),
        (" 李娜 ", "李*"),
        ("张", "*"),
    ],
)
def test_mask_name(name: str, masked: str) -> None:
    assert mask_name(name) == masked
