"""Scoped reads of the registry, and person search (name, pinyin, initials, ID, phone, 户号)."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from django.db.models import Q, QuerySet

from renkou.core.models import User
from renkou.lib import scoping
from renkou.lib.pinyin import is_full_pinyin, is_pinyin_query, normalise_query
from renkou.lib.text import normalise_digits
from renkou.registry.models import Event, EventState, Household, Marriage, ParentChild, Person

_ID_LIKE = re.compile(r"^\d{15}$|^\d{17}[\dX]$")
_LAST4 = re.compile(r"^\d{3}[\dX]$")
_PHONE = re.compile(r"^1[3-9]\d{9}$")


def persons_visible_to(user: User) -> QuerySet[Person]:
    return scoping.scope(Person.objects.all(), user)


def get_person_for(user: User, pk: int | str) -> Person:
    """The person if in the user's units; Http404 for missing and out of scope alike."""
    queryset = Person.objects.select_related("unit", "residence_unit", "hukou_unit", "household")
    return scoping.get_in_scope(queryset, user, pk=pk)


def households_visible_to(user: User) -> QuerySet[Household]:
    return scoping.scope(Household.objects.all(), user)


def get_household_for(user: User, pk: int | str) -> Household:
    return scoping.get_in_scope(Household.objects.select_related("unit"), user, pk=pk)


def events_visible_to(user: User) -> QuerySet[Event]:
    return scoping.scope(Event.objects.all(), user)


def get_event_for(user: User, pk: int | str) -> Event:
    return scoping.get_in_scope(Event.objects.select_related("person", "unit"), user, pk=pk)


# --- search ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchTerms:
    """What a typed query means: which columns to match and how."""

    id_number: str = ""
    id_last4: str = ""
    phone: str = ""
    household: str = ""
    name: str = ""
    pinyin: str = ""  # whole syllables, the last possibly cut short: zhangwei, wangj
    initials: str = ""  # zw, wjg


def parse_query(text: str) -> SearchTerms:
    """Read a search box: `110105…` (ID), `138…` (phone), `张伟`, `zhangwei`, `zw`,
    `张伟 002X` (name + last four of the ID), or a household number."""
    words = normalise_digits(text).upper().split()
    joined = "".join(words).replace("-", "")
    if len(words) > 1 and (_ID_LIKE.match(joined) or _PHONE.match(joined)):
        words = [joined]  # an ID or phone typed in groups: 510199 19600501 0013
    terms: dict[str, str] = {}
    for word in words:
        if _ID_LIKE.match(word):
            terms["id_number"] = word
        elif _PHONE.match(word):
            terms["phone"] = word
        elif _LAST4.match(word) and len(words) > 1:
            terms["id_last4"] = word
        elif word.isdigit() or (word[:1].isdigit() and word.isalnum()):
            terms["household"] = word
        elif is_pinyin_query(word):
            terms["pinyin"] = terms.get("pinyin", "") + normalise_query(word)  # "wang wei"
        else:
            terms["name"] = word
    if "pinyin" in terms and not is_full_pinyin(terms["pinyin"]):
        terms["initials"] = terms.pop("pinyin")
    return SearchTerms(**terms)


def search_q(terms: SearchTerms) -> Q | None:
    """The filter for the terms; None when there is nothing to search for."""
    conditions = []
    if terms.id_number:
        conditions.append(Q(id_number=_full_id(terms.id_number)))
    if terms.phone:
        conditions.append(Q(phone=terms.phone))
    if terms.household:
        conditions.append(Q(household__number=terms.household))
    if terms.name:
        conditions.append(scoping.prefix_q("name", terms.name))
    # One column per query, so its index both filters and orders (an OR of the two
    # columns sorted every match: 130 ms p95 for common initials over 1M persons).
    if terms.pinyin:
        conditions.append(scoping.prefix_q("name_pinyin", terms.pinyin))
    if terms.initials:
        conditions.append(scoping.prefix_q("name_initials", terms.initials))
    if terms.id_last4:
        conditions.append(Q(id_number__endswith=terms.id_last4))
    if not conditions:
        return None
    combined = conditions[0]
    for condition in conditions[1:]:
        combined &= condition
    return combined


def _full_id(text: str) -> str:
    from renkou.lib import idnumber

    try:
        return idnumber.parse(text).number
    except idnumber.InvalidIdNumber:
        return text


def search_order(terms: SearchTerms) -> tuple[str, ...]:
    """Order results by the column the query matched, so its index serves the page."""
    if terms.pinyin:
        return ("name_pinyin", "pk")
    if terms.initials:
        return ("name_initials", "pk")
    return ("name", "pk")


def search_terms(persons: QuerySet[Person], text: str) -> SearchTerms:
    """The query's reading within `persons` (already scoped, and filtered by whatever else
    was asked); typed syllables that find nobody there are tried as initials ("ah")."""
    terms = parse_query(text)
    if terms.pinyin and len(terms.pinyin) <= 6:
        condition = search_q(terms)
        if condition is not None and not persons.filter(condition).exists():
            terms = replace(terms, pinyin="", initials=terms.pinyin)
    return terms


def search(persons: QuerySet[Person], text: str) -> QuerySet[Person]:
    """The one person search (the search page, GET /persons?q=, the bench): `persons` narrowed
    to the query, ordered by the column it matched; a query that means nothing finds nothing."""
    terms = search_terms(persons, text)
    condition = search_q(terms)
    if condition is None:
        return persons.none()
    return persons.filter(condition).order_by(*search_order(terms))


def search_persons(user: User, text: str) -> QuerySet[Person]:
    """Scoped search, ordered for paging; an empty query finds nothing."""
    return search(persons_visible_to(user), text).select_related("unit")


def find_persons(user: User, filters) -> QuerySet[Person]:
    """The person list of the pages (search, unit lists) and of GET /persons alike: the
    user's persons through one `registry.filters.PersonFilters`, ordered for paging."""
    return filters.filter(persons_visible_to(user)).select_related("unit")


# --- lists by unit -----------------------------------------------------------------------------

LISTS = {
    "residents": Q(residence_unit__isnull=False, status="alive"),
    "inflow": Q(floating="inflow", status="alive"),
    "outflow": Q(floating="outflow", status="alive"),
    "deceased": Q(status="deceased"),
    "moved_away": Q(status="moved_away"),
}


# --- family -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Family:
    parents: list[ParentChild]
    children: list[ParentChild]
    marriages: list[Marriage]


def family_of(person: Person) -> Family:
    """Parents, children (with birth orders) and marriages; relatives may lie out of scope,
    so only their names and links are shown, never their details."""
    parents = list(person.parent_links.select_related("parent").order_by("parent__sex"))
    children = list(
        person.child_links.select_related("child").order_by("child__birth_date", "child__pk")
    )
    marriages = list(
        Marriage.objects.filter(Q(husband=person) | Q(wife=person))
        .select_related("husband", "wife")
        .order_by("start_date")
    )
    return Family(parents, children, marriages)


def marriages_visible_to(user: User) -> QuerySet[Marriage]:
    return scoping.scope(Marriage.objects.all(), user)


def current_marriage_for(user: User, person: Person) -> Marriage | None:
    """The person's marriage in force (the latest), if the user's units hold it."""
    marriages = marriages_visible_to(user).filter(end_date__isnull=True)
    marriages = marriages.filter(Q(husband=person) | Q(wife=person))
    return marriages.select_related("husband", "wife").order_by("-start_date", "-pk").first()


def biological_children_count(user: User, parent: Person) -> int:
    """The parent's biological children (a person of the user's units: 404 otherwise);
    children living elsewhere count too, as the birth order does."""
    parent = get_person_for(user, parent.pk)
    return ParentChild.objects.filter(parent=parent, kind=ParentChild.Kind.BIOLOGICAL).count()


def timeline(person: Person) -> QuerySet[Event]:
    """All the person's events, corrected and deleted ones included (marked), oldest first."""
    return (
        Event.objects.filter(Q(person=person) | Q(mother=person) | Q(father=person))
        .select_related("person", "recorded_by")
        .order_by("date", "pk")
    )


def active_events(person: Person) -> QuerySet[Event]:
    return person.events.filter(state=EventState.ACTIVE).order_by("date", "pk")


def _neighbourhood(person: Person):
    """The village/community around the person: where partners are chosen from in forms."""
    from renkou.core.queries import subtree

    unit = person.unit.parent if person.unit.level == 4 and person.unit.parent_id else person.unit
    return subtree(unit).values("pk")


def possible_fathers(user: User, mother: Person) -> QuerySet[Person]:
    """Her husbands, and living men of her village/community, as far as the user sees."""
    husbands = Marriage.objects.filter(wife=mother).values("husband_id")
    return (
        persons_visible_to(user)
        .filter(sex="M")
        .filter(Q(pk__in=husbands) | Q(unit__in=_neighbourhood(mother), status="alive"))
        .order_by("name_pinyin", "pk")
    )


def possible_spouses(user: User, person: Person) -> QuerySet[Person]:
    other = "F" if person.sex == "M" else "M"
    return (
        persons_visible_to(user)
        .filter(sex=other, status="alive", unit__in=_neighbourhood(person))
        .order_by("name_pinyin", "pk")
    )
