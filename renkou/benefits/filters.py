"""Filter sets for the benefit lists (candidates of a cycle, reconciliation cases), used by
the pages and the API alike: the same filters give the same rows in the same order.

The pages leave out an HTML form's empty fields (core.filters.filters_from_query); the API
takes numbers only as digits and refuses an empty value (422), as its schema says."""

from __future__ import annotations

from typing import Literal

from django.db.models import QuerySet
from ninja import Field, FilterSchema
from pydantic import field_validator

from renkou.benefits.models import Candidate, Case
from renkou.core.filters import MAX_ID
from renkou.lib.apitypes import query_int


class CandidateFilters(FilterSchema):
    outcome: Literal["eligible", "not_eligible", "unknown"] | None = None
    show: Literal["eligible", "unknown", "exit", "sampled"] | None = Field(
        None,
        description=(
            "The cycle page's tabs: eligible or unknown (exits left out), exit (exits only), "
            "sampled (drawn for the spot check)."
        ),
    )

    def filter(self, queryset: QuerySet[Candidate]) -> QuerySet[Candidate]:
        """The candidates selected, by unit then person (a stable order for paging)."""
        if self.outcome:
            queryset = queryset.filter(outcome=self.outcome)
        if self.show in ("eligible", "unknown"):
            queryset = queryset.filter(outcome=self.show).exclude(kind="exit")
        elif self.show == "exit":
            queryset = queryset.filter(kind="exit")
        elif self.show == "sampled":
            queryset = queryset.filter(sampled=True)
        return queryset.order_by("unit__path", "person_id", "pk")


class CaseFilters(FilterSchema):
    status: Literal["open", "resolved", "all"] = Field(
        "open", description="open (the default), resolved, or all."
    )
    kind: Literal[tuple(Case.Kind.values)] | None = None  # type: ignore[valid-type]
    roster_id: int | None = Field(None, ge=1, le=MAX_ID)

    _digits = field_validator("roster_id", mode="before")(query_int)

    def filter(self, queryset: QuerySet[Case]) -> QuerySet[Case]:
        """The cases selected, newest first."""
        if self.status != "all":
            queryset = queryset.filter(status=self.status)
        if self.kind:
            queryset = queryset.filter(kind=self.kind)
        if self.roster_id:
            queryset = queryset.filter(roster_id=self.roster_id)
        return queryset.order_by("-created_at", "-pk")
