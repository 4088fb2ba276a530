"""The pure rules: procedure by date and order, transitions, numbers, 协查, masking."""

from __future__ import annotations

import datetime

import pytest

from renkou.births import rules

d = datetime.date


@pytest.mark.parametrize(
    ("order", "day", "expected"),
    [
        (1, d(2015, 12, 31), rules.APPROVAL),
        (1, d(2016, 1, 1), rules.REGISTRATION),
        (2, d(2015, 12, 31), rules.APPROVAL),
        (2, d(2016, 1, 1), rules.REGISTRATION),
        (3, d(2016, 1, 1), rules.APPROVAL),
        (3, d(2021, 5, 30), rules.APPROVAL),
        (3, d(2021, 5, 31), rules.REGISTRATION),
        (2, d(2021, 5, 31), rules.REGISTRATION),
        (4, d(2021, 5, 31), rules.APPROVAL),
        (4, d(2026, 1, 1), rules.APPROVAL),
        (1, d(1990, 1, 1), rules.APPROVAL),
    ],
)
def test_procedure_by_date_and_order(order, day, expected):
    assert rules.procedure_for(order, day) == expected


ALL_PAIRS = [(s, a, p) for s in rules.STATES for a in rules.ACTIONS for p in rules.PROCEDURE_LABELS]
LEGAL = {
    ("draft", "submit"): "submitted",
    ("submitted", "register"): "registered",  # registration only
    ("submitted", "review"): "township_reviewed",  # approval only
    ("township_reviewed", "approve"): "approved",  # approval only
    ("submitted", "reject"): "rejected",
    ("township_reviewed", "reject"): "rejected",
    ("draft", "withdraw"): "withdrawn",
    ("submitted", "withdraw"): "withdrawn",
    ("township_reviewed", "withdraw"): "withdrawn",
    ("approved", "cancel"): "cancelled",
    ("registered", "cancel"): "cancelled",
}
ONLY = {"register": rules.REGISTRATION, "review": rules.APPROVAL, "approve": rules.APPROVAL}


@pytest.mark.parametrize(("state", "action", "procedure"), ALL_PAIRS)
def test_every_state_action_pair(state, action, procedure):
    target = LEGAL.get((state, action))
    if target is not None and ONLY.get(action, procedure) == procedure:
        assert rules.next_state(state, action, procedure) == target
        assert action in rules.legal_actions(state, procedure)
    else:
        with pytest.raises(rules.IllegalTransition) as error:
            rules.next_state(state, action, procedure)
        assert state in error.value.message_en  # names where it came from
        assert rules.TRANSITIONS[action].target in error.value.message_en  # and where to
        assert rules.STATE_LABELS[state][0] in error.value.message_zh
        assert action not in rules.legal_actions(state, procedure)


def test_unknown_action():
    with pytest.raises(rules.IllegalTransition):
        rules.next_state("draft", "explode", rules.REGISTRATION)


def test_required_documents():
    codes = [doc.code for doc in rules.required_documents(rules.REGISTRATION, married=True)]
    assert codes == ["id_card", "hukou_book", "marriage_cert"]
    codes = [doc.code for doc in rules.required_documents(rules.APPROVAL, married=False)]
    assert codes == ["id_card", "hukou_book", "condition_proof"]


def test_registration_number_format():
    assert rules.registration_number("510199001001", 2026, 42) == "510199-2026-00042"


def test_verification_codes_are_random_and_well_formed():
    codes = {rules.new_verification_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(rules.looks_like_code(code) for code in codes)
    assert not rules.looks_like_code("O0I1O0I1O0")
    assert not rules.looks_like_code("ABC")


@pytest.mark.parametrize(
    ("division", "district", "expected"),
    [
        ("511302001001", "510199", True),
        ("510199001001", "510199", False),
        ("", "510199", False),
        ("5101", "510199", False),
    ],
)
def test_needs_verification(division, district, expected):
    assert rules.needs_verification(division, district) is expected


@pytest.mark.parametrize(
    ("order", "entitled", "possible", "expected"),
    [(2, 2, 2, True), (3, 2, 2, False), (3, 2, 3, None), (1, None, None, None), (1, 0, 0, False)],
)
def test_within_entitlement(order, entitled, possible, expected):
    assert rules.within_entitlement(order, entitled, possible) is expected
