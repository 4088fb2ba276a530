"""The only write path for org units, staff, assignments, tokens and reveals.

Every action is keyword-only, checks scope first (out of scope → 404, like a missing record)
and permission second (→ 403), validates, and writes its history row (actor and reason) in
the same transaction. `actor=None` means the operator at the server's command line.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
from dataclasses import dataclass

from axes.models import AccessAttempt
from django.apps import apps
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from renkou.core import rules
from renkou.core.models import (
    AccessLog,
    ApiToken,
    Assignment,
    ChangeType,
    OrgUnit,
    OrgUnitChange,
    User,
)
from renkou.lib import divisions, scoping
from renkou.lib.i18n import pick_from


def require_perm(actor: User | None, permission: str) -> None:
    """`permission` is "app.codename"; a bare codename means the core app."""
    name = permission if "." in permission else f"core.{permission}"
    if actor is not None and not actor.has_perm(name):
        raise PermissionDenied(_("You do not have permission to do this."))


def require_in_scope(actor: User | None, unit: OrgUnit) -> None:
    if actor is not None and not scoping.path_in_scope(actor, unit.path):
        raise scoping.OutOfScope()


def _authorise(actor: User | None, unit: OrgUnit, codename: str) -> None:
    require_in_scope(actor, unit)
    require_perm(actor, codename)


def _today() -> datetime.date:
    return timezone.localdate()


def _save_with_history(obj: models.Model, actor: User | None, reason: str) -> None:
    obj._change_reason = reason  # read by django-simple-history
    obj._history_user = actor
    obj.save()


def _record_change(
    *,
    unit: OrgUnit,
    change_type: str,
    effective_on: datetime.date,
    actor: User | None,
    reason: str,
    before: dict | None = None,
    after: dict | None = None,
    related_unit: OrgUnit | None = None,
) -> OrgUnitChange:
    return OrgUnitChange.objects.create(
        unit=unit,
        change_type=change_type,
        effective_on=effective_on,
        before=before or {},
        after=after or {},
        related_unit=related_unit,
        actor=actor,
        reason=reason,
    )


def _validate_placement(*, code: str, kind: str, parent: OrgUnit | None) -> int:
    level = 1 if parent is None else parent.level + 1
    if level > 4:
        raise ValidationError({"parent": _("A group or building cannot have units below it.")})
    try:
        divisions.check_kind(kind, level)
        divisions.check_code(code, level=level, parent_code=parent.code if parent else None)
    except divisions.CodeError as error:
        field = "kind" if error.code == "kind" else "code"
        raise ValidationError({field: pick_from(error)}) from error
    if parent is not None and not parent.is_open:
        raise ValidationError({"parent": _("The parent unit is closed.")})
    if OrgUnit.objects.filter(code=code).exists():
        raise ValidationError({"code": _("Code %(code)s is already used.") % {"code": code}})
    return level


@transaction.atomic
def create_unit(
    *,
    actor: User | None,
    parent: OrgUnit | None,
    code: str,
    name: str,
    kind: str,
    opened_on: datetime.date | None = None,
    reason: str = "",
) -> OrgUnit:
    """Create a unit under `parent` (None: a new district, operators and superusers only)."""
    if parent is None:
        if actor is not None and not actor.is_superuser:
            raise PermissionDenied(_("Only an operator can create a district."))
    else:
        _authorise(actor, parent, "add_orgunit")
    code = divisions.normalise_code(code)
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("The name is required.")})
    level = _validate_placement(code=code, kind=kind, parent=parent)
    unit = OrgUnit(
        code=code,
        name=name,
        kind=kind,
        level=level,
        parent=parent,
        path="",
        opened_on=opened_on or _today(),
    )
    try:  # a savepoint: a concurrent import that created the code first refuses this row
        with transaction.atomic():
            _save_with_history(unit, actor, reason or _("created"))
    except IntegrityError as error:
        raise ValidationError(
            {"code": _("Code %(code)s is already used.") % {"code": code}}
        ) from error
    unit.path = (parent.path if parent else "") + rules.path_segment(unit.pk)
    OrgUnit.objects.filter(pk=unit.pk).update(path=unit.path)
    _record_change(
        unit=unit,
        change_type=ChangeType.CREATE,
        effective_on=unit.opened_on,
        actor=actor,
        reason=reason,
        after={"code": code, "name": name, "parent": parent.pk if parent else None},
    )
    return unit


@transaction.atomic
def rename_unit(
    *,
    actor: User | None,
    unit: OrgUnit,
    name: str,
    effective_on: datetime.date | None = None,
    reason: str = "",
) -> OrgUnit:
    _authorise(actor, unit, "change_orgunit")
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("The name is required.")})
    if name == unit.name:
        return unit
    before = {"name": unit.name}
    unit.name = name
    _save_with_history(unit, actor, reason or _("renamed"))
    _record_change(
        unit=unit,
        change_type=ChangeType.RENAME,
        effective_on=effective_on or _today(),
        actor=actor,
        reason=reason,
        before=before,
        after={"name": name},
    )
    return unit


def _rewrite_subtree_paths(unit: OrgUnit, new_prefix: str) -> None:
    """Give `unit` and all its descendants paths under `new_prefix`, in one statement set."""
    old_path = unit.path
    new_path = new_prefix + rules.path_segment(unit.pk)
    subtree = list(OrgUnit.objects.filter(scoping.prefix_q("path", old_path)))
    for node in subtree:
        node.path = new_path + node.path[len(old_path) :]
    OrgUnit.objects.bulk_update(subtree, ["path"], batch_size=500)
    unit.path = new_path


@transaction.atomic
def move_unit(
    *,
    actor: User | None,
    unit: OrgUnit,
    new_parent: OrgUnit,
    effective_on: datetime.date | None = None,
    reason: str = "",
) -> OrgUnit:
    """Move a unit and its subtree under another parent of the same level as the old one."""
    _authorise(actor, unit, "restructure_orgunit")
    require_in_scope(actor, new_parent)
    if unit.parent_id is None or new_parent.level != unit.level - 1:
        raise ValidationError({"parent": _("The new parent must be one level above the unit.")})
    if new_parent.path.startswith(unit.path):
        raise ValidationError({"parent": _("A unit cannot move below itself.")})
    if not new_parent.is_open:
        raise ValidationError({"parent": _("The new parent unit is closed.")})
    if new_parent.pk == unit.parent_id:
        return unit
    _relocate(unit, new_parent, day=effective_on or _today(), actor=actor, reason=reason)
    return unit


def _relocate(
    unit: OrgUnit, new_parent: OrgUnit, *, day: datetime.date, actor: User | None, reason: str
) -> None:
    """Re-parent `unit` with its subtree and record the dated move (also for merges/splits)."""
    before = {"parent": unit.parent_id}
    _rewrite_subtree_paths(unit, new_parent.path)
    unit.parent = new_parent
    _save_with_history(unit, actor, reason or _("moved"))
    _record_change(
        unit=unit,
        change_type=ChangeType.MOVE,
        effective_on=day,
        actor=actor,
        reason=reason,
        before=before,
        after={"parent": new_parent.pk},
        related_unit=new_parent,
    )


def _end_assignments(
    unit: OrgUnit, day: datetime.date, *, actor: User | None, reason: str
) -> list[Assignment]:
    active = list(Assignment.objects.filter(unit=unit, until__isnull=True))
    for assignment in active:
        assignment.until = max(day, assignment.since)
        _save_with_history(assignment, actor, reason)
    return active


@transaction.atomic
def close_unit(
    *,
    actor: User | None,
    unit: OrgUnit,
    closed_on: datetime.date | None = None,
    reason: str = "",
) -> OrgUnit:
    _authorise(actor, unit, "change_orgunit")
    if not unit.is_open:
        raise ValidationError({"closed_on": _("The unit is already closed.")})
    if unit.children.filter(closed_on__isnull=True).exists():
        raise ValidationError({"closed_on": _("Close, move or merge the units below it first.")})
    closed_on = closed_on or _today()
    if closed_on < unit.opened_on:
        raise ValidationError({"closed_on": _("A unit cannot close before it opened.")})
    unit.closed_on = closed_on
    _save_with_history(unit, actor, reason or _("closed"))
    _end_assignments(unit, closed_on, actor=actor, reason=reason or _("unit closed"))
    _record_change(
        unit=unit,
        change_type=ChangeType.CLOSE,
        effective_on=closed_on,
        actor=actor,
        reason=reason,
        after={"closed_on": closed_on.isoformat()},
    )
    return unit


# Foreign keys to OrgUnit that describe the grid itself or its audit trail, not records
# kept in a unit; a merge must leave them where they are.
_GRID_OWN_FIELDS = {
    ("core", "orgunit", "parent"),
    ("core", "orgunitchange", "unit"),
    ("core", "orgunitchange", "related_unit"),
    ("core", "accesslog", "unit"),
    ("core", "assignment", "unit"),
}


def unit_record_fields() -> list[tuple[type[models.Model], str]]:
    """Every (model, field) by which a record belongs to a unit, across all apps."""
    found = []
    for model in apps.get_models():
        if model._meta.model_name.startswith("historical"):
            continue
        for field in model._meta.concrete_fields:
            if not (field.is_relation and field.related_model is OrgUnit):
                continue
            if (model._meta.app_label, model._meta.model_name, field.name) in _GRID_OWN_FIELDS:
                continue
            found.append((model, field.name))
    return found


@dataclass(frozen=True)
class MergeResult:
    unit: OrgUnit
    children_moved: int
    records_moved: dict[str, int]
    staff_moved: int


@transaction.atomic
def merge_units(
    *,
    actor: User | None,
    absorbed: OrgUnit,
    into: OrgUnit,
    effective_on: datetime.date | None = None,
    reason: str = "",
) -> MergeResult:
    """撤并: `absorbed` closes; its units, records and staff move to `into`, all or nothing."""
    _authorise(actor, absorbed, "restructure_orgunit")
    require_in_scope(actor, into)
    if absorbed.pk == into.pk or absorbed.level != into.level:
        raise ValidationError({"into": _("Merge a unit into another unit of the same level.")})
    if not (absorbed.is_open and into.is_open):
        raise ValidationError({"into": _("Both units must be open to merge.")})
    day = effective_on or _today()
    children = list(absorbed.children.all())
    for child in children:
        _relocate(child, into, day=day, actor=actor, reason=reason or _("moved by merge"))
    records_moved = {}
    for model, field_name in unit_record_fields():
        moved = model._default_manager.filter(**{field_name: absorbed}).update(**{field_name: into})
        if moved:
            records_moved[model._meta.label] = moved
    merge_reason = reason or _("merged")
    ended = _end_assignments(absorbed, day, actor=actor, reason=merge_reason)
    already = set(into.assignments.filter(until__isnull=True).values_list("user_id", flat=True))
    for old in ended:
        if old.user_id not in already:
            moved = Assignment(user_id=old.user_id, unit=into, duty=old.duty, since=day)
            _save_with_history(moved, actor, merge_reason)
            already.add(old.user_id)
    absorbed.closed_on = day
    _save_with_history(absorbed, actor, reason or _("merged"))
    summary = {"children": len(children), "records": records_moved, "staff": len(ended)}
    _record_change(
        unit=absorbed,
        change_type=ChangeType.MERGE,
        effective_on=day,
        actor=actor,
        reason=reason,
        before={"closed_on": None},
        after={"merged_into": into.pk, **summary},
        related_unit=into,
    )
    _record_change(
        unit=into,
        change_type=ChangeType.MERGE,
        effective_on=day,
        actor=actor,
        reason=reason,
        after={"absorbed": absorbed.pk, **summary},
        related_unit=absorbed,
    )
    return MergeResult(into, len(children), records_moved, len(ended))


@dataclass(frozen=True)
class SplitPart:
    code: str
    name: str
    kind: str
    child_ids: tuple[int, ...] = ()


@transaction.atomic
def split_unit(
    *,
    actor: User | None,
    unit: OrgUnit,
    parts: list[SplitPart],
    effective_on: datetime.date | None = None,
    close_source: bool = False,
    reason: str = "",
) -> list[OrgUnit]:
    """Split `unit`: new sibling units take over the listed children of `unit`."""
    _authorise(actor, unit, "restructure_orgunit")
    if unit.parent is None:
        raise ValidationError({"unit": _("A district cannot be split here.")})
    if not parts:
        raise ValidationError({"parts": _("Name at least one new unit.")})
    day = effective_on or _today()
    child_ids = set(unit.children.values_list("pk", flat=True))
    open_child_ids = set(unit.children.filter(closed_on__isnull=True).values_list("pk", flat=True))
    listed = [pk for part in parts for pk in part.child_ids]
    if len(listed) != len(set(listed)) or not set(listed) <= child_ids:
        raise ValidationError({"parts": _("Each moved unit must be a distinct child of the unit.")})
    if close_source and not open_child_ids <= set(listed):
        raise ValidationError({"parts": _("To close the unit, every unit below it must move.")})
    created = []
    for part in parts:
        new = create_unit(
            actor=actor,
            parent=unit.parent,
            code=part.code,
            name=part.name,
            kind=part.kind,
            opened_on=day,
            reason=reason,
        )
        for child in OrgUnit.objects.filter(pk__in=part.child_ids):
            _relocate(child, new, day=day, actor=actor, reason=reason or _("moved by split"))
        _record_change(
            unit=new,
            change_type=ChangeType.SPLIT,
            effective_on=day,
            actor=actor,
            reason=reason,
            after={"split_from": unit.pk, "children": list(part.child_ids)},
            related_unit=unit,
        )
        created.append(new)
    _record_change(
        unit=unit,
        change_type=ChangeType.SPLIT,
        effective_on=day,
        actor=actor,
        reason=reason,
        after={"parts": [new.pk for new in created]},
    )
    if close_source:
        close_unit(actor=actor, unit=unit, closed_on=day, reason=reason)
    return created


# --- staff ---------------------------------------------------------------------------------


@transaction.atomic
def assign_staff(
    *,
    actor: User | None,
    user: User,
    unit: OrgUnit,
    duty: str = "",
    since: datetime.date | None = None,
) -> Assignment:
    _authorise(actor, unit, "manage_staff")
    if not rules.role_may_sit_at(user.role, unit.level):
        raise ValidationError(
            {
                "unit": _("A %(role)s cannot be assigned to a unit of this level.")
                % {"role": user.get_role_display()}
            }
        )
    if not unit.is_open:
        raise ValidationError({"unit": _("The unit is closed.")})
    existing = Assignment.objects.filter(user=user, unit=unit, until__isnull=True).first()
    if existing:
        return existing
    assignment = Assignment(user=user, unit=unit, duty=duty, since=since or _today())
    _save_with_history(assignment, actor, _("assigned"))
    scoping.forget_unit_paths(user)
    return assignment


@transaction.atomic
def end_assignment(
    *, actor: User | None, assignment: Assignment, until: datetime.date | None = None
) -> Assignment:
    _authorise(actor, assignment.unit, "manage_staff")
    assignment.until = until or _today()
    _save_with_history(assignment, actor, _("assignment ended"))
    scoping.forget_unit_paths(assignment.user)
    return assignment


@transaction.atomic
def create_staff_user(
    *,
    actor: User | None,
    username: str,
    password: str | None,
    role: str,
    unit: OrgUnit,
    full_name: str = "",
    phone: str = "",
    id_number: str = "",
    duty: str = "",
) -> User:
    """A staff account with its first assignment; the password must pass the policy."""
    from django.contrib.auth.password_validation import validate_password

    _authorise(actor, unit, "manage_staff")
    if role not in rules.ROLES:
        raise ValidationError({"role": _("Unknown role.")})
    if User.objects.filter(username=username).exists():
        raise ValidationError({"username": _("This username is taken.")})
    user = User(username=username, role=role, full_name=full_name, phone=phone)
    user.id_number = _normalised_id_number(id_number)
    if password is None:
        user.set_unusable_password()
    else:
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise ValidationError({"password": error.messages}) from error
        user.set_password(password)
    _save_with_history(user, actor, _("account created"))
    assign_staff(actor=actor, user=user, unit=unit, duty=duty)
    return user


def _normalised_id_number(text: str) -> str:
    from renkou.lib import idnumber

    if not text.strip():
        return ""
    try:
        return idnumber.parse(text).number
    except idnumber.InvalidIdNumber as error:
        raise ValidationError({"id_number": pick_from(error)}) from error


def _staff_unit_for(actor: User | None, user: User) -> OrgUnit | None:
    """The first of the user's units the actor can manage (for scope checks on a person)."""
    for assignment in user.assignments.select_related("unit").order_by("-until", "since"):
        if actor is None or scoping.path_in_scope(actor, assignment.unit.path):
            return assignment.unit
    return None


def end_sessions_of(user: User) -> int:
    """Delete every session of `user`; the session table is small (staff only)."""
    ended = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk):
            session.delete()
            ended += 1
    return ended


@transaction.atomic
def disable_user(*, actor: User | None, user: User, reason: str) -> User:
    """Disable an account and end its sessions at once."""
    unit = _staff_unit_for(actor, user)
    if unit is None and actor is not None and not actor.is_superuser:
        raise scoping.OutOfScope()
    if unit is not None:
        _authorise(actor, unit, "manage_staff")
    if actor is not None and actor.pk == user.pk:
        raise ValidationError({"user": _("You cannot disable your own account.")})
    user.is_active = False
    _save_with_history(user, actor, reason or _("disabled"))
    end_sessions_of(user)
    ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
    return user


@transaction.atomic
def unlock_sign_in(*, actor: User | None, user: User, reason: str) -> int:
    """Lift a sign-in lockout of `user` (every address) before its cool-off ends: deletes the
    recorded failures and writes the account's history row with the actor and the reason.
    Returns the number of failures removed."""
    unit = _staff_unit_for(actor, user)
    if unit is None and actor is not None and not actor.is_superuser:
        raise scoping.OutOfScope()
    if unit is not None:
        _authorise(actor, unit, "manage_staff")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give a reason.")})
    attempts = AccessAttempt.objects.filter(username=user.get_username())
    failures = sum(attempts.values_list("failures_since_start", flat=True))
    attempts.delete()
    _save_with_history(user, actor, _("Sign-in unlocked: %(reason)s") % {"reason": reason})
    return failures


# --- API tokens ------------------------------------------------------------------------------


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def issue_api_token(*, actor: User | None, user: User, name: str) -> tuple[ApiToken, str]:
    """A new bearer token; the raw key is returned once and never stored."""
    unit = _staff_unit_for(actor, user)
    if unit is None and actor is not None and not actor.is_superuser:
        raise scoping.OutOfScope()
    if unit is not None:
        _authorise(actor, unit, "manage_staff")
    raw = "rk_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name or "token", prefix=raw[3:11], key_hash=hash_token(raw)
    )
    return token, raw


@transaction.atomic
def revoke_api_token(*, actor: User | None, token: ApiToken) -> ApiToken:
    """Revoke a token, by staff managing one of its account's units (or its own holder)."""
    unit = _staff_unit_for(actor, token.user)
    if actor is not None and actor.pk != token.user_id:
        if unit is None and not actor.is_superuser:
            raise scoping.OutOfScope()
        if unit is not None:
            _authorise(actor, unit, "manage_staff")
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    return token


# `last_used_at` says when a token was last used to the minute: writing it on every request
# was an UPDATE (and on SQLite the write lock) per API read (issue 14: 6.8% of server time).
TOKEN_USE_RESOLUTION = datetime.timedelta(minutes=1)


def use_api_token(*, raw: str) -> User | None:
    """The account a bearer token signs in (None for an unknown, revoked or disabled one);
    its use is recorded on the token (`last_used_at`, at most once a minute)."""
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=hash_token(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= TOKEN_USE_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


# --- second factor (TOTP) ----------------------------------------------------------------------


def _require_self(actor: User | None, user: User) -> None:
    """Only the account's own holder enrols its second factor."""
    if actor is None or actor.pk != user.pk:
        raise PermissionDenied(_("You do not have permission to do this."))


@transaction.atomic
def start_totp_enrolment(*, actor: User, user: User, ip_address: str | None = None):
    """The user's unconfirmed authenticator (created once, its secret shown as a QR code);
    creating it is an access-log row, since the page shows the secret."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    _require_self(actor, user)
    device, created = TOTPDevice.objects.get_or_create(
        user=user, confirmed=False, defaults={"name": "authenticator"}
    )
    if created:
        log_access(
            actor=actor, record=device, field="key", unit=None, action="otp_enrol",
            reason="second factor enrolment started", ip_address=ip_address,
        )  # fmt: skip
    return device


@transaction.atomic
def confirm_totp_device(*, actor: User, device, token: str, ip_address: str | None = None) -> bool:
    """Confirm an enrolment with one code from the app; False (nothing changes) if wrong."""
    _require_self(actor, device.user)
    if not device.verify_token(token.strip()):
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    log_access(
        actor=actor, record=device, field="confirmed", unit=None, action="otp_confirm",
        reason="second factor set up", ip_address=ip_address,
    )  # fmt: skip
    return True


# --- reveals -------------------------------------------------------------------------------


@transaction.atomic
def reveal_staff_id_number(
    *, actor: User, staff: User, reason: str = "", ip_address: str | None = None
) -> str:
    """The unmasked ID number of a staff member, logged in the access log."""
    unit = _staff_unit_for(actor, staff)
    if unit is None and not actor.is_superuser:
        raise scoping.OutOfScope()
    return _reveal(actor, staff, "id_number", unit, reason, ip_address)


def reveal_id_number(
    *,
    actor: User,
    obj: models.Model,
    field: str = "id_number",
    reason: str = "",
    ip_address: str | None = None,
) -> str:
    """The unmasked ID number in `obj.<field>` (a person, an application's party…), for an
    actor holding `core.reveal_id_number` whose units cover `obj.unit`; each number shown
    is an access-log row. The one reveal of the pages, the API and the exports; an empty
    number is shown as it is and not logged."""
    unit = obj.unit
    require_perm(actor, "reveal_id_number")
    require_in_scope(actor, unit)
    return _reveal(actor, obj, field, unit, reason, ip_address)


def _reveal(actor, obj, field: str, unit, reason: str, ip_address: str | None) -> str:
    require_perm(actor, "reveal_id_number")
    value = getattr(obj, field) or ""
    if value:
        log_access(
            actor=actor, record=obj, field=field, unit=unit, reason=reason, ip_address=ip_address
        )
    return value


def log_access(
    *,
    actor: User,
    record: models.Model,
    field: str,
    unit: OrgUnit | None,
    reason: str = "",
    ip_address: str | None = None,
    action: str = "reveal",
) -> AccessLog:
    """The access-log row every app writes when it shows a masked value or a health record."""
    return AccessLog.objects.create(
        user=actor,
        action=action,
        model=record._meta.label,
        object_id=str(record.pk),
        field=field,
        unit=unit,
        reason=reason[:200],
        ip_address=ip_address,
    )
