"""Scoped reads for org units, staff and the audit trail."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from renkou.core.filters import UnitFilters
from renkou.core.models import AccessLog, Assignment, OrgUnit, OrgUnitChange, User
from renkou.lib import scoping

CURRENT_UNIT_SESSION_KEY = "renkou_current_unit"


def assigned_unit_paths(user: User, day: datetime.date) -> list[str]:
    """Paths of the units `user` is assigned to on `day` (lib.scoping's assignment source)."""
    return list(
        Assignment.objects.filter(user=user, since__lte=day)
        .filter(Q(until__isnull=True) | Q(until__gte=day))
        .values_list("unit__path", flat=True)
    )


def units_visible_to(user: User) -> QuerySet[OrgUnit]:
    return scoping.scope(OrgUnit.objects.all(), user)


def find_units(user: User, filters: UnitFilters) -> QuerySet[OrgUnit]:
    """The units in the user's scope that match `filters`, in tree order: the unit picker
    and `GET /api/v1/units` both answer with this."""
    return filters.filter(units_visible_to(user)).order_by("path")


def get_unit_for(user: User, pk: int | str) -> OrgUnit:
    """The unit if the user may see it; Http404 for missing and out of scope alike."""
    return scoping.get_in_scope(OrgUnit.objects.select_related("parent"), user, pk=pk)


def get_unit_by_code_for(user: User, code: str) -> OrgUnit:
    return scoping.get_in_scope(OrgUnit.objects.all(), user, code=code)


def root_units_for(user: User) -> QuerySet[OrgUnit]:
    """The top units of the user's scope (their assignments, without nested ones)."""
    if scoping.sees_everything(user):
        return OrgUnit.objects.filter(parent__isnull=True)
    return OrgUnit.objects.filter(path__in=scoping.unit_paths(user))


def current_unit(request: HttpRequest) -> OrgUnit | None:
    """The unit chosen in the picker, if still in scope; else the user's first unit."""
    user = request.user
    if getattr(request, "_renkou_current_unit", None) is not None:
        return request._renkou_current_unit
    unit = None
    chosen = request.session.get(CURRENT_UNIT_SESSION_KEY)
    if chosen:
        unit = units_visible_to(user).filter(pk=chosen).first()
    if unit is None:
        unit = root_units_for(user).order_by("path").first()
    request._renkou_current_unit = unit
    return unit


def subtree(unit: OrgUnit) -> QuerySet[OrgUnit]:
    return OrgUnit.objects.filter(scoping.prefix_q("path", unit.path))


def ancestors(unit: OrgUnit) -> list[OrgUnit]:
    """From the district down to the parent; names only, so scope does not apply."""
    segments = [s for s in unit.path.split(".") if s]
    pks = [int(s) for s in segments[:-1]]
    by_pk = OrgUnit.objects.in_bulk(pks)
    return [by_pk[pk] for pk in pks if pk in by_pk]


@dataclass(frozen=True)
class TreeNode:
    unit: OrgUnit
    depth: int
    descendants: int
    staff: int


def unit_tree(user: User, root: OrgUnit, *, include_closed: bool = False) -> list[TreeNode]:
    """`root`'s subtree in tree order with counts, as far as the user's scope reaches."""
    units = scoping.scope(subtree(root), user)
    if not include_closed:
        units = units.filter(closed_on__isnull=True)
    today = timezone.localdate()
    units = list(
        units.annotate(
            staff_count=Count(
                "assignments",
                filter=Q(assignments__until__isnull=True) | Q(assignments__until__gte=today),
            )
        ).order_by("path")
    )
    descendants = dict.fromkeys((u.path for u in units), 0)
    for unit in units:
        for ancestor_path in _path_prefixes(unit.path):
            if ancestor_path in descendants:
                descendants[ancestor_path] += 1
    base = root.level
    return [
        TreeNode(unit, unit.level - base, descendants[unit.path], unit.staff_count)
        for unit in units
    ]


def _path_prefixes(path: str) -> list[str]:
    segments = [s for s in path.split(".") if s]
    return [".".join(segments[:n]) + "." for n in range(1, len(segments))]


def counts_by_kind(user: User) -> list[tuple[str, str, int]]:
    """(kind, label, open units) in the user's scope, for the dashboard chart."""
    from renkou.core.models import UnitKind

    rows = (
        units_visible_to(user)
        .filter(closed_on__isnull=True)
        .values("kind")
        .annotate(n=Count("pk"))
        .order_by("kind")
    )
    labels = dict(UnitKind.choices)
    order = [kind for kind, _label in UnitKind.choices]  # district first, building last
    rows = sorted(rows, key=lambda row: order.index(row["kind"]))
    return [(row["kind"], str(labels.get(row["kind"], row["kind"])), row["n"]) for row in rows]


# --- staff ---------------------------------------------------------------------------------


def staff_visible_to(user: User) -> QuerySet[User]:
    """Accounts with an assignment (current or past) inside the user's scope."""
    assignments = scoping.scope(Assignment.objects.all(), user)
    return User.objects.filter(pk__in=assignments.values("user_id")).order_by("username")


def get_staff_for(user: User, pk: int | str) -> User:
    try:
        return staff_visible_to(user).get(pk=pk)
    except (User.DoesNotExist, ValueError) as exc:
        raise scoping.OutOfScope() from exc


def staff_of_unit(unit: OrgUnit, *, on: datetime.date | None = None) -> QuerySet[Assignment]:
    """Responsible staff of the unit on a day (today by default)."""
    day = on or timezone.localdate()
    return (
        Assignment.objects.filter(unit=unit, since__lte=day)
        .filter(Q(until__isnull=True) | Q(until__gte=day))
        .select_related("user")
        .order_by("user__username")
    )


# --- the grid on a date -------------------------------------------------------------------


@dataclass(frozen=True)
class UnitState:
    name: str
    parent_id: int | None
    is_open: bool


def unit_on(unit: OrgUnit, day: datetime.date) -> UnitState | None:
    """The unit as it stood on `day` (name, parent, open), or None if it did not exist yet.

    Starts from today's state and undoes, newest first, every change effective after `day`.
    """
    if day < unit.opened_on:
        return None
    name, parent_id = unit.name, unit.parent_id
    later = unit.changes.filter(effective_on__gt=day).order_by("-effective_on", "-id")
    for change in later:
        if "name" in change.before:
            name = change.before["name"]
        if "parent" in change.before:
            parent_id = change.before["parent"]
    return UnitState(name, parent_id, unit.is_open_on(day))


def changes_visible_to(user: User) -> QuerySet[OrgUnitChange]:
    return OrgUnitChange.objects.filter(
        unit__in=units_visible_to(user).values("pk")
    ).select_related("unit", "actor", "related_unit")


# --- audit ---------------------------------------------------------------------------------


def access_log_visible_to(
    user: User,
    *,
    actor_id: int | None = None,
    unit: OrgUnit | None = None,
    since: datetime.date | None = None,
    until: datetime.date | None = None,
) -> QuerySet[AccessLog]:
    logs = AccessLog.objects.select_related("user", "unit")
    if not scoping.sees_everything(user):
        logs = logs.filter(unit__in=units_visible_to(user).values("pk"))
    if actor_id:
        logs = logs.filter(user_id=actor_id)
    if unit is not None:
        logs = logs.filter(unit__in=subtree(unit).values("pk"))
    return _between(logs, "at", since, until)


def history_visible_to(
    user: User,
    *,
    actor_id: int | None = None,
    unit: OrgUnit | None = None,
    since: datetime.date | None = None,
    until: datetime.date | None = None,
) -> list:
    """Recent change-history rows of the core models in scope, newest first (AuditRow)."""
    visible = units_visible_to(user)
    if unit is not None:
        visible = visible.filter(pk__in=subtree(unit).values("pk"))
    visible_ids = visible.values("pk")
    sources = [
        OrgUnit.history.filter(id__in=visible_ids),
        Assignment.history.filter(unit_id__in=visible_ids),
        User.history.filter(id__in=staff_visible_to(user).values("pk")),
    ]
    rows = []
    for source in sources:
        source = source.select_related("history_user")
        if actor_id:
            source = source.filter(history_user_id=actor_id)
        rows.extend(_between(source, "history_date", since, until).order_by("-history_date")[:200])
    rows.sort(key=lambda row: row.history_date, reverse=True)
    return [_audit_row(row) for row in rows[:200]]


@dataclass(frozen=True)
class AuditRow:
    at: datetime.datetime
    actor: User | None
    record_type: str
    record: str
    change: str
    reason: str


def _audit_row(row) -> AuditRow:
    model = row.instance_type
    return AuditRow(
        at=row.history_date,
        actor=row.history_user,
        record_type=str(model._meta.verbose_name),
        record=_history_label(row),
        change=row.get_history_type_display(),
        reason=row.history_change_reason or "",
    )


def _history_label(row) -> str:
    """A label from the historical row's own fields (the live record may be gone)."""
    for attribute in ("name", "full_name", "username"):
        value = getattr(row, attribute, "")
        if value:
            return str(value)
    if hasattr(row, "unit_id") and hasattr(row, "user_id"):
        return f"#{row.user_id} → #{row.unit_id}"
    return f"#{row.pk}"


def _between(queryset, field: str, since: datetime.date | None, until: datetime.date | None):
    if since:
        queryset = queryset.filter(**{f"{field}__date__gte": since})
    if until:
        queryset = queryset.filter(**{f"{field}__date__lte": until})
    return queryset
