"""One field specification per kind of the load directory: what each column is, whether it
must be filled, its maximum length (read from the model field it fills) and its code list.

Both ways a row is checked read these specifications — the vectorised checks that decide the
common case (`within_length`, `fast_codes`) and the per-row path that names the problem
(`check_length`, `code_map`) — so a rule is written once: changing a model's `max_length`
changes what both paths accept.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from renkou.lib.codes import ETHNIC_GROUPS, FAMILY_RELATIONS

from .common import at_most, blank, member, required_problem, too_long

__all__ = ["SPECS", "Field", "KindSpec"]

SEX_CODES = {"M": "M", "F": "F", "m": "M", "f": "F", "男": "M", "女": "F"}
STATUS_CODES = {
    "alive": "alive", "deceased": "deceased", "moved_away": "moved_away",
    "在世": "alive", "健在": "alive", "正常": "alive", "死亡": "deceased", "迁出": "moved_away",
}  # fmt: skip
HUKOU_TYPES = {
    "agricultural": "agricultural", "non_agricultural": "non_agricultural",
    "unified": "unified", "农业": "agricultural", "非农业": "non_agricultural",
    "居民": "unified",
}  # fmt: skip
LINK_KINDS = {
    "": "biological", "biological": "biological", "adopted": "adopted", "step": "step",
    "亲生": "biological", "收养": "adopted", "继": "step",
}  # fmt: skip
EVENT_KINDS = {kind: kind for kind in (
    "birth", "death", "move_in", "move_out", "marriage", "divorce", "hukou_type",
)}  # fmt: skip
END_REASONS = {"": "", "divorce": "divorce", "death": "death", "离婚": "divorce", "丧偶": "death"}
MARRIAGE_KINDS = {"": "first", "first": "first", "remarriage": "remarriage", "初婚": "first",
                  "再婚": "remarriage"}  # fmt: skip
TRUE_WORDS = ("1", "true", "yes", "y", "t", "是")
FALSE_WORDS = ("", "0", "false", "no", "n", "f", "否")
BOOLEAN_WORDS = {**{word: "1" for word in TRUE_WORDS}, **{word: "0" for word in FALSE_WORDS}}
ETHNIC_CODES = {code: code for code in ETHNIC_GROUPS}
RELATION_CODES = {code: code for code in FAMILY_RELATIONS}

# Types: "text" (free text: only its length is checked), "key" (a stable key, also length),
# "code" (one of a code list), "date", "id_number", "division", "unit" (a unit code),
# "ref" (the key of a row of another kind), "int", "bool".
TEXT_TYPES = ("text", "key")


@dataclass(frozen=True)
class Field:
    column: str  # in the file
    type: str
    model_field: str | None = None  # the model field it fills (max length, choices)
    required: bool = False
    codes: Mapping[str, str] | None = None  # accepted spellings → stored value


@dataclass
class KindSpec:
    kind: str
    model_path: str  # "app_label.Model"
    fields: dict[str, Field] = field(default_factory=dict)

    @property
    def model(self) -> Any:
        from django.apps import apps

        return apps.get_model(self.model_path)

    def __getitem__(self, column: str) -> Field:
        return self.fields[column]

    def required_columns(self) -> tuple[str, ...]:
        """The columns the file must have (and every row must fill)."""
        return tuple(name for name, spec in self.fields.items() if spec.required)

    def max_length(self, column: str) -> int:
        """The model field's max_length: the database would refuse (or, on SQLite, keep)
        longer text."""
        spec = self.fields[column]
        if spec.model_field is None:
            raise KeyError(f"{self.kind}.{column} fills no model field")
        return self.model._meta.get_field(spec.model_field).max_length

    def code_map(self, column: str) -> Mapping[str, str]:
        codes = self.fields[column].codes
        if codes is None:
            raise KeyError(f"{self.kind}.{column} has no code list")
        return codes

    def stored_codes(self, column: str) -> tuple[str, ...]:
        """The values the code list stores (what the fast path accepts as they are)."""
        return tuple(dict.fromkeys(value for value in self.code_map(column).values() if value))

    # --- the vectorised path -------------------------------------------------------------

    def within_length(self, column: str, array: Any) -> np.ndarray:
        return at_most(array, self.max_length(column))

    def fast_codes(self, column: str, array: Any) -> np.ndarray:
        """True where the cell is a stored code (or blank, for a column that may be)."""
        ok = member(array, self.stored_codes(column))
        if not self.fields[column].required:
            ok |= blank(array)
        return ok

    # --- the per-row path ----------------------------------------------------------------

    def check_length(self, column: str, value: str) -> None:
        limit = self.max_length(column)
        if len(value) > limit:
            raise too_long(column, limit)

    def check_filled(self, column: str, value: str) -> None:
        if not value:
            raise required_problem(column)

    def check_text(self, column: str, value: str) -> None:
        """Required (if the spec says so) and not too long, in that order."""
        if self.fields[column].required:
            self.check_filled(column, value)
        self.check_length(column, value)


def _spec(kind: str, model: str, *fields: Field) -> KindSpec:
    return KindSpec(kind, model, {spec.column: spec for spec in fields})


HOUSEHOLDS = _spec(
    "households", "registry.Household",
    Field("household_no", "key", "number", required=True),
    Field("unit_code", "unit", required=True),
    Field("address", "text", "address"),
)  # fmt: skip
PERSONS = _spec(
    "persons", "registry.Person",
    Field("person_key", "key", "source_key", required=True),
    Field("id_number", "id_number", "id_number"),
    Field("name", "text", "name", required=True),
    Field("former_names", "text", "former_names"),
    Field("sex", "code", "sex", required=True, codes=SEX_CODES),
    Field("birth_date", "date", "birth_date", required=True),
    Field("ethnic_group", "code", "ethnic_group", codes=ETHNIC_CODES),
    Field("hukou_type", "code", "hukou_type", codes=HUKOU_TYPES),
    Field("hukou_type_since", "date", "hukou_type_since"),
    Field("hukou_division", "division", "hukou_division"),
    Field("hukou_unit_code", "unit"),
    Field("residence_unit_code", "unit"),
    Field("phone", "text", "phone"),
    Field("status", "code", "status", codes=STATUS_CODES),
    Field("death_date", "date", "death_date"),
    Field("only_child_cert_no", "text", "only_child_cert_no"),
    Field("only_child_cert_date", "date", "only_child_cert_date"),
    Field("household_no", "ref"),
    Field("relation_to_head", "code", "relation_to_head", codes=RELATION_CODES),
)  # fmt: skip
LINKS = _spec(
    "parent_child", "registry.ParentChild",
    Field("parent_key", "ref", required=True),
    Field("child_key", "ref", required=True),
    Field("kind", "code", "kind", codes=LINK_KINDS),
    Field("since", "date", "since"),
)  # fmt: skip
MARRIAGES = _spec(
    "marriages", "registry.Marriage",
    Field("marriage_key", "key", "source_key", required=True),
    Field("husband_key", "ref", required=True),
    Field("wife_key", "ref", required=True),
    Field("start_date", "date", "start_date", required=True),
    Field("end_date", "date", "end_date"),
    Field("end_reason", "code", "end_reason", codes=END_REASONS),
    Field("husband_kind", "code", "husband_kind", codes=MARRIAGE_KINDS),
    Field("wife_kind", "code", "wife_kind", codes=MARRIAGE_KINDS),
)  # fmt: skip
EVENTS = _spec(
    "events", "registry.Event",
    Field("event_key", "key", "source_key", required=True),
    Field("kind", "code", "kind", required=True, codes=EVENT_KINDS),
    Field("date", "date", "date", required=True),
    Field("person_key", "ref", required=True),
    Field("unit_code", "unit"),
    Field("mother_key", "ref"),
    Field("father_key", "ref"),
    Field("place", "text", "place"),
    Field("plurality", "int", "plurality"),
    Field("cause_category", "text", "cause_category"),
    Field("division_from", "division", "division_from"),
    Field("division_to", "division", "division_to"),
    Field("residence_unit_code", "unit"),
    Field("moves_hukou", "bool", "moves_hukou", codes=BOOLEAN_WORDS),
    Field("reason", "text", "reason"),
    Field("hukou_type", "code", "hukou_type", codes=HUKOU_TYPES),
    Field("marriage_key", "ref"),
)  # fmt: skip

SPECS: dict[str, KindSpec] = {
    spec.kind: spec for spec in (HOUSEHOLDS, PERSONS, LINKS, MARRIAGES, EVENTS)
}
