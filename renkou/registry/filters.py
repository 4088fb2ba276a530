"""Filter sets for persons and households, used by the registry pages and the API alike.

Blank values (an HTML form's empty select) mean "no filter". Every limit below keeps input
the database cannot take (NUL, ids and years out of range) a 422 instead of a 500.
"""

import datetime
from typing import Literal

from django.db.models import QuerySet
from ninja import Field, FilterSchema
from pydantic import field_validator

from renkou.core.filters import MAX_ID, NO_NUL
from renkou.core.models import OrgUnit
from renkou.lib import scoping
from renkou.lib.apitypes import query_int
from renkou.registry import queries
from renkou.registry.models import Household, Person

# A search box's text; longer queries mean nothing (a name, an ID and a phone fit in 100).
Q_MAX = 100
YEAR_MIN, YEAR_MAX = 1, 9999  # what a date can hold


def _unit_subtree(queryset: QuerySet, unit_id: int) -> QuerySet:
    """Records whose unit lies in the subtree of `unit_id` (none if there is no such unit).

    The queryset is already scoped, so naming a unit outside the caller's units finds
    nothing, and naming one above them finds only what the caller sees anyway."""
    path = OrgUnit.objects.filter(pk=unit_id).values_list("path", flat=True).first()
    if path is None:
        return queryset.none()
    return queryset.filter(scoping.prefix_q("unit__path", path))


class PersonFilters(FilterSchema):
    unit: int | None = Field(
        None, ge=1, le=MAX_ID, description="A unit's id: persons of that unit and below it."
    )
    status: Literal["alive", "deceased", "moved_away"] | None = None
    floating: Literal["inflow", "outflow"] | None = Field(
        None, description="流入 (registered elsewhere, living here) or 流出 (the reverse)."
    )
    sex: Literal["M", "F"] | None = None
    born_from: int | None = Field(
        None, ge=YEAR_MIN, le=YEAR_MAX, description="Born in this year or later."
    )
    born_to: int | None = Field(
        None, ge=YEAR_MIN, le=YEAR_MAX, description="Born in this year or earlier."
    )
    listing: Literal["residents", "inflow", "outflow", "deceased", "moved_away"] | None = Field(
        None,
        description=(
            "A unit list: residents (living here), inflow, outflow (living persons), "
            "deceased, moved_away."
        ),
    )
    q: str | None = Field(
        None,
        max_length=Q_MAX,
        pattern=NO_NUL,
        description=(
            "Search: a name in characters (王伟, or a prefix 王), in pinyin, full or initials "
            "(wangwei, ww, wangj), an ID number (full, or its last four after a name: "
            "王伟 002X), a mobile phone, or a household number."
        ),
    )

    _digits = field_validator("unit", "born_from", "born_to", mode="before")(query_int)

    def filter(self, queryset: QuerySet[Person]) -> QuerySet[Person]:
        """The persons of `queryset` (scoped) these filters select, in a stable order for
        paging: as the search orders its results when there is a query (pinyin or name, so
        the prefix index serves it), else by unit and pinyin."""
        if self.unit:
            queryset = _unit_subtree(queryset, self.unit)
        if self.listing:
            queryset = queryset.filter(queries.LISTS[self.listing])
        if self.status:
            queryset = queryset.filter(status=self.status)
        if self.floating:
            queryset = queryset.filter(floating=self.floating)
        if self.sex:
            queryset = queryset.filter(sex=self.sex)
        if self.born_from:
            queryset = queryset.filter(birth_date__gte=datetime.date(self.born_from, 1, 1))
        if self.born_to:
            queryset = queryset.filter(birth_date__lte=datetime.date(self.born_to, 12, 31))
        if self.q:
            return queries.search(queryset, self.q)
        return queryset.order_by("unit__path", "name_pinyin", "pk")


class HouseholdFilters(FilterSchema):
    unit: int | None = Field(
        None, ge=1, le=MAX_ID, description="A unit's id: households of that unit and below it."
    )
    number: str | None = Field(None, max_length=32, pattern=NO_NUL, description="户号, exact.")

    _digits = field_validator("unit", mode="before")(query_int)

    def filter(self, queryset: QuerySet[Household]) -> QuerySet[Household]:
        if self.unit:
            queryset = _unit_subtree(queryset, self.unit)
        if self.number:
            queryset = queryset.filter(number=self.number.strip())
        return queryset
