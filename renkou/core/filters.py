"""One filter set for org units, used by the unit pages and the API alike."""

from django.db.models import Q, QuerySet
from ninja import Field, FilterSchema
from pydantic import field_validator

from renkou.core.models import OrgUnit
from renkou.lib.apitypes import query_int
from renkou.lib.scoping import prefix_q

# PostgreSQL text cannot hold NUL; ids are 64-bit (SQLite overflows on a larger one).
NO_NUL = r"^[^\x00]*$"
MAX_ID = 2**63 - 1


class UnitFilters(FilterSchema):
    kind: str | None = Field(None, pattern=NO_NUL)
    level: int | None = Field(None, ge=1, le=4)
    parent: int | None = Field(None, le=MAX_ID)
    code_prefix: str | None = Field(None, pattern=NO_NUL)
    q: str | None = Field(None, pattern=NO_NUL)
    include_closed: bool = False

    _digits = field_validator("level", "parent", mode="before")(query_int)

    def filter(self, queryset: QuerySet[OrgUnit]) -> QuerySet[OrgUnit]:
        if self.kind:
            queryset = queryset.filter(kind=self.kind)
        if self.level:
            queryset = queryset.filter(level=self.level)
        if self.parent:
            queryset = queryset.filter(parent_id=self.parent)
        if self.code_prefix:
            queryset = queryset.filter(
                code__gte=self.code_prefix, code__lt=self.code_prefix + "\U0010ffff"
            )
        text = (self.q or "").strip()
        if text:
            # a name fragment, or the first digits of a division code (the unit picker's
            # search and the API's answer alike)
            queryset = queryset.filter(Q(name__contains=text) | prefix_q("code", text))
        if not self.include_closed:
            queryset = queryset.filter(closed_on__isnull=True)
        return queryset


def filters_from_query(filter_class: type[FilterSchema], data) -> tuple[FilterSchema, bool]:
    """A page's filter set read from its query string (`request.GET`), with whether it was
    valid: an invalid value (as the API would answer 422) reads as no filter at all, so the
    page shows its unfiltered list rather than an error."""
    from pydantic import ValidationError

    fields = filter_class.model_fields
    values = {name: data.get(name) for name in fields if data.get(name) not in (None, "")}
    try:
        return filter_class(**values), True
    except ValidationError:
        return filter_class(), False
