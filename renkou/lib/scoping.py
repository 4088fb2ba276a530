"""The one scoping mechanism: a user sees the records of their assigned units and subtrees.

Every unit-owned model names the path of its unit in `scope_path_field` (for example
`"unit__path"`, or `"path"` on OrgUnit itself). `scope(queryset, user)` filters any such
queryset; views, API handlers, exports and background jobs all call it (through each app's
queries.py). An out-of-scope record is indistinguishable from a missing one: `get_in_scope`
raises Http404 for both, so existence never leaks.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.contrib.auth.base_user import AbstractBaseUser as User
from django.db import connection
from django.db.models import Model, Q, QuerySet
from django.http import Http404

M = TypeVar("M", bound=Model)

# Who is assigned where is core's to know (core.models.Assignment); lib is below core, so core
# hands its query in at start-up (CoreConfig.ready) instead of lib importing it.
AssignmentSource = Callable[[Any, datetime.date], Iterable[str]]
_assignment_source: AssignmentSource | None = None


def register_assignment_source(source: AssignmentSource) -> None:
    """Set the function giving the unit paths a user is assigned to on a day."""
    global _assignment_source
    _assignment_source = source


class OutOfScope(Http404):
    """Raised for records outside the user's units; answers 404 exactly like a missing one."""


def prefix_q(field: str, prefix: str) -> Q:
    """`field` starts with `prefix`, in a form each database answers from an ordinary index.

    SQLite compiles `startswith` to LIKE … ESCAPE, which cannot use a normal index (a full
    scan; see PERFORMANCE.md), but a half-open range can. PostgreSQL can use its pattern-ops
    index for LIKE, but then walks the ordered index filtering every row when the results are
    ordered by that column (2.4 s over 1M persons); the same range lets it scan just the
    prefix. Where the database orders text by code point (C, C.UTF-8, POSIX) the range is the
    answer; under another collation the LIKE is added, so the range can only be wider, never
    change the answer. Not always: PostgreSQL multiplies the two conditions' selectivities as
    if they were independent, expects a handful of rows for a two-letter prefix that has
    thousands, and picks a plan that sorts them all (p95 1.7 s for initials over 1M persons;
    0.6 ms with the range alone).
    """
    if not prefix:
        return Q()
    upper = prefix[:-1] + chr(min(ord(prefix[-1]) + 1, 0x10FFFF))
    in_range = Q(**{f"{field}__gte": prefix, f"{field}__lt": upper})
    if connection.vendor == "sqlite" or _orders_by_code_point(connection.settings_dict["NAME"]):
        return in_range
    return Q(**{f"{field}__startswith": prefix}) & in_range


CODE_POINT_COLLATIONS = {"C", "POSIX", "C.UTF-8", "C.utf8", "ucs_basic"}


@functools.cache
def _orders_by_code_point(database: str) -> bool:
    """Whether the PostgreSQL database `database` (the connection's) compares text by code
    point; asked once per process and database."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT datcollate FROM pg_database WHERE datname = current_database()")
        row = cursor.fetchone()
    return bool(row) and row[0] in CODE_POINT_COLLATIONS


def unit_paths(user: User, *, on: datetime.date | None = None) -> list[str]:
    """Paths of the units the user is assigned to today, without nested duplicates."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cache_key = "_renkou_unit_paths"
    if on is None and hasattr(user, cache_key):
        return getattr(user, cache_key)
    if _assignment_source is None:
        raise RuntimeError("no assignment source registered (is renkou.core installed?)")
    day = on or datetime.date.today()
    paths = sorted(_assignment_source(user, day))
    roots: list[str] = []
    for path in paths:
        if not any(path.startswith(root) for root in roots):
            roots.append(path)
    if on is None:
        setattr(user, cache_key, roots)
    return roots


def forget_unit_paths(user: User) -> None:
    """Drop the per-request cache after the user's assignments change."""
    user.__dict__.pop("_renkou_unit_paths", None)


def sees_everything(user: User) -> bool:
    return bool(getattr(user, "is_superuser", False) and user.is_active)


def scope_q(user: User, path_field: str) -> Q | None:
    """The filter for records whose unit path is `path_field`; None means no filter at all."""
    if sees_everything(user):
        return None
    paths = unit_paths(user)
    if not paths:
        return Q(pk__in=[])
    condition = Q()
    for path in paths:
        condition |= prefix_q(path_field, path)
    return condition


def scope(queryset: QuerySet[M], user: User) -> QuerySet[M]:
    """Only the records of `queryset` that lie in the user's units and their subtrees."""
    path_field = getattr(queryset.model, "scope_path_field", None)
    if path_field is None:
        raise TypeError(f"{queryset.model.__name__} declares no scope_path_field")
    condition = scope_q(user, path_field)
    if condition is None:
        return queryset
    return queryset.filter(condition)


def get_in_scope(queryset: QuerySet[M], user: User, **lookup: Any) -> M:
    """The one record matching `lookup` if it is in scope; Http404 if missing or out of scope."""
    try:
        return scope(queryset, user).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError) as exc:
        raise OutOfScope() from exc


def path_in_scope(user: User, path: str) -> bool:
    if sees_everything(user):
        return True
    return any(path.startswith(root) for root in unit_paths(user))
