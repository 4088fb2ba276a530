"""The filter set of the birth-application list, used by the list page and the API alike."""

from __future__ import annotations

from typing import Literal

from django.db.models import QuerySet
from ninja import Field, FilterSchema
from pydantic import field_validator

from renkou.births import rules
from renkou.births.models import BirthApplication
from renkou.core.filters import MAX_ID
from renkou.core.models import OrgUnit
from renkou.lib import scoping
from renkou.lib.apitypes import query_int

StateName = Literal[rules.STATES]  # type: ignore[valid-type]


class ApplicationFilters(FilterSchema):
    state: StateName | None = None
    unit: int | None = Field(
        None, ge=1, le=MAX_ID, description="A unit's id: applications of it and below."
    )

    _digits = field_validator("unit", mode="before")(query_int)

    def filter(self, queryset: QuerySet[BirthApplication]) -> QuerySet[BirthApplication]:
        """By state and by unit subtree (a unit outside the already scoped set finds
        nothing), newest first."""
        if self.state:
            queryset = queryset.filter(state=self.state)
        if self.unit:
            path = OrgUnit.objects.filter(pk=self.unit).values_list("path", flat=True).first()
            if path is None:
                return queryset.none()
            queryset = queryset.filter(scoping.prefix_q("unit__path", path))
        return queryset.order_by("-applied_on", "-id")
