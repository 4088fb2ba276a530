"""Pure rules of birth registration: which procedure applies, which documents are required,
which transitions are legal, the registration number format, the 协查 test and name masking.

No database access here: every function takes plain values and is trivially testable.
"""

from __future__ import annotations

import datetime
import secrets
from dataclasses import dataclass

# --- procedure ------------------------------------------------------------------------------

REGISTRATION = "registration"  # 生育登记: one step at the township
APPROVAL = "approval"  # 再生育审批: township review, then district approval

# policy-facts §5: from 2016-01-01 (全面二孩, decision of 2016-01-05) approval of 1st and 2nd
# births was replaced by registration; from 2021-05-31 (三孩) a third child is registered too.
TWO_CHILD_REGISTRATION_FROM = datetime.date(2016, 1, 1)
THREE_CHILD_REGISTRATION_FROM = datetime.date(2021, 5, 31)


def procedure_for(child_order: int, on_date: datetime.date) -> str:
    """`registration` or `approval` for the child order applied for on `on_date`."""
    if on_date >= THREE_CHILD_REGISTRATION_FROM and child_order <= 3:
        return REGISTRATION
    if on_date >= TWO_CHILD_REGISTRATION_FROM and child_order <= 2:
        return REGISTRATION
    return APPROVAL


# --- documents --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Document:
    code: str
    name_zh: str
    name_en: str


ID_CARD = Document("id_card", "居民身份证", "resident identity cards")
HUKOU_BOOK = Document("hukou_book", "户口簿", "household-registration booklet")
MARRIAGE_CERT = Document("marriage_cert", "结婚证", "marriage certificate")
CONDITION_PROOF = Document(
    "condition_proof",
    "符合再生育条件的证明材料",
    "proof of the condition claimed for a further birth",
)
DOCUMENTS = {d.code: d for d in (ID_CARD, HUKOU_BOOK, MARRIAGE_CERT, CONDITION_PROOF)}


def required_documents(procedure: str, *, married: bool) -> list[Document]:
    """The checklist: identity and household booklet always; the marriage certificate for a
    couple; proof of the condition claimed when approval is needed."""
    items = [ID_CARD, HUKOU_BOOK]
    if married:
        items.append(MARRIAGE_CERT)
    if procedure == APPROVAL:
        items.append(CONDITION_PROOF)
    return items


# --- states and transitions -------------------------------------------------------------------

DRAFT, SUBMITTED, REVIEWED = "draft", "submitted", "township_reviewed"
APPROVED, REGISTERED, REJECTED = "approved", "registered", "rejected"
WITHDRAWN, CANCELLED = "withdrawn", "cancelled"
STATES = (DRAFT, SUBMITTED, REVIEWED, APPROVED, REGISTERED, REJECTED, WITHDRAWN, CANCELLED)
STATE_LABELS = {
    DRAFT: ("草稿", "draft"),
    SUBMITTED: ("已提交", "submitted"),
    REVIEWED: ("乡镇已审核", "reviewed by the township"),
    APPROVED: ("已审批", "approved"),
    REGISTERED: ("已登记", "registered"),
    REJECTED: ("不予登记/审批", "rejected"),
    WITHDRAWN: ("已撤回", "withdrawn"),
    CANCELLED: ("已注销", "cancelled"),
}
OPEN_STATES = (DRAFT, SUBMITTED, REVIEWED)
ISSUED_STATES = (APPROVED, REGISTERED)


@dataclass(frozen=True)
class Transition:
    action: str
    sources: tuple[str, ...]
    target: str
    procedure: str | None = None  # only for this procedure
    needs_reason: bool = False
    needs_documents: bool = False
    label_zh: str = ""
    label_en: str = ""


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition("submit", (DRAFT,), SUBMITTED, label_zh="提交", label_en="submit"),
        Transition("review", (SUBMITTED,), REVIEWED, APPROVAL, needs_documents=True,
                   label_zh="乡镇审核通过", label_en="township review passed"),
        Transition("approve", (REVIEWED,), APPROVED, APPROVAL, needs_documents=True,
                   label_zh="区县审批同意", label_en="approve"),
        Transition("register", (SUBMITTED,), REGISTERED, REGISTRATION, needs_documents=True,
                   label_zh="登记", label_en="register"),
        Transition("reject", (SUBMITTED, REVIEWED), REJECTED, needs_reason=True,
                   label_zh="不予登记/审批", label_en="reject"),
        Transition("withdraw", OPEN_STATES, WITHDRAWN, label_zh="撤回", label_en="withdraw"),
        Transition("cancel", ISSUED_STATES, CANCELLED, needs_reason=True,
                   label_zh="注销", label_en="cancel"),
    )
}  # fmt: skip
ACTIONS = tuple(TRANSITIONS)


class IllegalTransition(Exception):
    """An action that the state (or the procedure) does not allow; names from and to."""

    def __init__(self, message_zh: str, message_en: str):
        super().__init__(message_en)
        self.message_zh, self.message_en = message_zh, message_en


def next_state(state: str, action: str, procedure: str) -> str:
    """The state `action` leads to from `state`, or IllegalTransition."""
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise IllegalTransition(f"未知操作：{action}", f"unknown action: {action}")
    zh_from, en_from = STATE_LABELS.get(state, (state, state))
    zh_to, en_to = STATE_LABELS[transition.target]
    if state not in transition.sources:
        raise IllegalTransition(
            f"不能从“{zh_from}”{transition.label_zh}为“{zh_to}”",
            f"cannot {transition.label_en} from {en_from} ({state}) to {en_to} "
            f"({transition.target})",
        )
    if transition.procedure is not None and transition.procedure != procedure:
        raise IllegalTransition(
            f"本申请适用{PROCEDURE_LABELS[procedure][0]}，不能从“{zh_from}”"
            f"{transition.label_zh}为“{zh_to}”",
            f"this application follows {PROCEDURE_LABELS[procedure][1]}: cannot "
            f"{transition.label_en} from {en_from} ({state}) to {en_to} ({transition.target})",
        )
    return transition.target


def legal_actions(state: str, procedure: str) -> list[str]:
    return [
        t.action
        for t in TRANSITIONS.values()
        if state in t.sources and (t.procedure is None or t.procedure == procedure)
    ]


PROCEDURE_LABELS = {
    REGISTRATION: ("生育登记", "birth registration"),
    APPROVAL: ("再生育审批", "approval of a further birth"),
}


# --- numbers, codes, masking ---------------------------------------------------------------------

VERIFY_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud and typed
VERIFY_LENGTH = 10  # 32**10 ≈ 1.1e15 codes


def registration_number(district_code: str, year: int, serial: int) -> str:
    """`510199-2026-00042`: district (6 digits), year, serial within the district and year."""
    return f"{district_code[:6]}-{year:04d}-{serial:05d}"


def new_verification_code() -> str:
    return "".join(secrets.choice(VERIFY_ALPHABET) for _ in range(VERIFY_LENGTH))


def looks_like_code(text: str) -> bool:
    return len(text) == VERIFY_LENGTH and all(ch in VERIFY_ALPHABET for ch in text)


def needs_verification(hukou_division: str, district_code: str) -> bool:
    """协查: the person's household registration is recorded in another district."""
    division = (hukou_division or "").strip()
    return len(division) >= 6 and division[:6] != district_code[:6]


def within_entitlement(child_order: int, entitled: int | None, possible: int | None) -> bool | None:
    """True: the known facts allow this child; False: not even if unknown facts hold; None:
    it depends on an unknown fact (or no regime was in force)."""
    if entitled is None:
        return None
    if child_order <= entitled:
        return True
    if possible is not None and child_order > possible:
        return False
    return None


# --- who may take each action ----------------------------------------------------------------

ACTION_PERMS = {
    "submit": "births.submit_birthapplication",
    "withdraw": "births.submit_birthapplication",
    "review": "births.review_birthapplication",
    "register": "births.register_birthapplication",
    "approve": "births.approve_birthapplication",
    "reject": "births.reject_birthapplication",
    "cancel": "births.cancel_birthapplication",
}


def permission_for(action: str, state: str) -> str:
    """The permission an action needs in a state: rejecting after the township's review is
    the district's decision."""
    if action == "reject" and state == REVIEWED:
        return ACTION_PERMS["approve"]
    return ACTION_PERMS[action]
