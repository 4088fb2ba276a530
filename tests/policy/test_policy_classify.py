"""Through the registry: the regimes in the database, a couple's facts as of a date,
the stored classification of every birth and its recomputation when a fact changes.

Everything is built through registry actions (the Wang family of the cast included).
"""

from __future__ import annotations

import datetime
import json
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from renkou.lib.scoping import OutOfScope
from renkou.policy import actions, queries, regimes
from renkou.policy.models import BirthClassification, DeclaredFact, Regime
from renkou.registry import actions as registry

d = datetime.date
ONLY, OVERSEAS, DISABLED = (
    DeclaredFact.Fact.ONLY_CHILD,
    DeclaredFact.Fact.RETURNED_OVERSEAS,
    DeclaredFact.Fact.DISABILITY,
)


def person(cast, name, sex, born, *, unit="group", hukou_type="agricultural", ethnic="01"):
    return registry.register_person(
        actor=cast.district_admin, name=name, sex=sex, birth_date=born,
        residence_unit=cast.units[unit], hukou_unit=cast.units[unit], hukou_type=hukou_type,
        ethnic_group=ethnic,
    )  # fmt: skip


def birth(cast, mother, father, day, sex, name, plurality=1):
    child = registry.record_birth(
        actor=cast.district_admin, mother=mother, father=father, date=day, sex=sex, name=name,
        plurality=plurality,
    ).person  # fmt: skip
    return child


def classification(child) -> BirthClassification:
    return BirthClassification.objects.get(child=child)


def conditions(row: BirthClassification) -> dict[str, bool | None]:
    reasons = row.reasons
    return {c["code"]: c["met"] for c in reasons["requirements"] + reasons["conditions"]}


def settle(cast, *persons, facts=(ONLY, OVERSEAS)):
    """Declare the facts the registry cannot know as 'no' (with evidence), as staff would
    after checking the documents."""
    for someone in persons:
        for fact in facts:
            actions.record_declared_fact(
                actor=cast.district_admin, person=someone, fact=fact, value=False,
                evidence="户口簿及本人声明核实",
            )  # fmt: skip


# --- regimes --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_migration_loaded_the_files():
    codes = set(Regime.objects.values_list("code", flat=True))
    assert {"cn-one-child", "cn-two-child", "cn-three-child", "51-single-only-child"} <= codes
    one_child = Regime.objects.get(code="51-one-child")
    assert one_child.loaded_from == "51-sichuan.json"
    assert "one_only_child" not in [c["test"] for c in one_child.conditions]  # omitted
    assert len(one_child.conditions) == 7  # expanded from cn-one-child: stored complete
    assert "⚠" in Regime.objects.get(code="51-single-only-child").source


@pytest.mark.django_db
def test_load_is_idempotent_and_keeps_local_edits(cast):
    report = regimes.load()
    assert not report.changed and len(report.unchanged) == Regime.objects.count()
    regime = Regime.objects.get(code="cn-two-child")
    actions.update_regime(
        actor=cast.district_admin, regime=regime, reason="区政策修订", base_children=2,
        source=regime.source + " (checked)",
    )  # fmt: skip
    regime.refresh_from_db()
    assert (regime.version, regime.edited_locally) == (2, True)
    assert regimes.load().kept_local == ["cn-two-child"]
    assert regimes.load(force=True).updated == ["cn-two-child"]
    regime.refresh_from_db()
    assert (regime.version, regime.edited_locally) == (3, False)
    assert "(checked)" not in regime.source
    assert regime.history.count() == 2  # the edit and the reload (the migration writes none)


@pytest.mark.django_db
def test_update_regime_is_checked_and_permitted(cast):
    regime = Regime.objects.get(code="cn-one-child")
    with pytest.raises(PermissionDenied):
        actions.update_regime(actor=cast.district_staff, regime=regime, reason="x", base_children=2)
    bad = [*regime.conditions, {**regime.conditions[0], "code": "x", "test": "penalty"}]
    with pytest.raises(ValidationError):
        actions.update_regime(actor=cast.district_admin, regime=regime, reason="x", conditions=bad)
    with pytest.raises(ValidationError):  # would overlap cn-two-child
        actions.update_regime(
            actor=cast.district_admin, regime=regime, reason="x", effective_to=d(2016, 6, 1)
        )
    with pytest.raises(ValidationError):
        actions.update_regime(actor=cast.district_admin, regime=regime, reason=" ", base_children=2)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('[{"code": "a", "name_zh": "甲", "name_en": "a", "scope": "nation", '
         '"effective_from": "2000-01-01", "base_children": 1, "source": "s", '
         '"conditions": [{"code": "x", "name_zh": "x", "name_en": "x", "grants": 2, '
         '"test": "fine"}]}]', "unknown condition test"),
        ('[{"code": "a", "name_zh": "甲", "name_en": "a", "scope": "nation", '
         '"effective_from": "2000-02-30", "base_children": 1, "source": "s"}]', "must be a date"),
        ('[{"code": "a", "name_zh": "甲", "name_en": "a", "scope": "province", "scope_code": "5",'
         '"effective_from": "2000-01-01", "base_children": 1, "source": "s"}]', "scope_code"),
        ('[{"code": "a", "name_zh": "甲", "name_en": "a", "scope": "nation", '
         '"effective_from": "2000-01-01", "base_children": 1, "source": "s"}, '
         '{"code": "b", "name_zh": "乙", "name_en": "b", "scope": "nation", '
         '"effective_from": "2001-01-01", "base_children": 2, "source": "s"}]', "same days"),
        ('[{"code": "a", "name_zh": "甲", "name_en": "a", "scope": "nation", '
         '"effective_from": "2000-01-01", "base_children": 1, "source": "s", '
         '"conditions_from": "nowhere"}]', "conditions_from"),
    ],
)  # fmt: skip
def test_bad_files_are_refused(tmp_path, content, message):
    (tmp_path / "national.json").write_text(content, encoding="utf-8")
    with pytest.raises(regimes.RegimeError) as error:
        regimes.read_files(tmp_path)
    assert message in error.value.message_en
    assert error.value.message_zh


# --- facts from the registry ----------------------------------------------------------------------


@pytest.mark.django_db
def test_couple_facts_derive_only_child_status(cast):
    gf, gm = person(cast, "赵大", "M", d(1935, 1, 1)), person(cast, "钱大", "F", d(1937, 1, 1))
    husband = birth(cast, gm, gf, d(1960, 3, 1), "M", "赵一")  # their only child
    wf, wm = person(cast, "孙大", "M", d(1936, 1, 1)), person(cast, "李大", "F", d(1938, 1, 1))
    wife = birth(cast, wm, wf, d(1962, 5, 1), "F", "孙一")
    sister = birth(cast, wm, wf, d(1966, 5, 1), "F", "孙二")
    loner = person(cast, "周一", "M", d(1961, 1, 1))  # parents not in the registry
    half = birth(cast, wm, None, d(1970, 1, 1), "M", "李小")  # only the mother is known
    for p in (husband, wife, sister, half):
        p.refresh_from_db()

    facts = queries.couple_facts(husband, wife, d(1990, 1, 1))
    assert facts.husband.is_only_child is True
    assert facts.wife.is_only_child is False
    assert facts.wife.basis["only_child"][1] == "the parents have 3 children"  # with 李小
    # as of 1965 the wife's sister was not yet born: an only child then
    assert queries.couple_facts(husband, wife, d(1965, 1, 1)).wife.is_only_child is True
    assert queries.couple_facts(loner, wife, d(1990, 1, 1)).husband.is_only_child is None
    # one parent known with one child: unknown, not guessed
    assert queries.couple_facts(None, half, d(1995, 1, 1)).wife.is_only_child is False  # 3 kids
    lone_mother = person(cast, "吴大", "F", d(1940, 1, 1))
    single = birth(cast, lone_mother, None, d(1963, 1, 1), "M", "吴一")
    single.refresh_from_db()
    assert queries.couple_facts(single, wife, d(1990, 1, 1)).husband.is_only_child is None
    # a declared fact wins
    actions.record_declared_fact(
        actor=cast.district_admin, person=single, fact=ONLY, value=True, evidence="独生子女证 12"
    )
    declared = queries.couple_facts(single, wife, d(1990, 1, 1)).husband
    assert declared.is_only_child is True and "独生子女证" in declared.basis["only_child"][0]
    # no marriage between them recorded: married unknown
    assert facts.married is None


@pytest.mark.django_db
def test_hukou_type_as_of_the_date(cast):
    man = person(cast, "郑一", "M", d(1960, 1, 1))
    woman = person(cast, "王二", "F", d(1962, 1, 1))
    registry.change_hukou_type(
        actor=cast.district_admin, person=woman, date=d(1995, 1, 1), hukou_type="non_agricultural"
    )
    woman.refresh_from_db()
    assert queries.couple_facts(man, woman, d(1990, 1, 1)).wife.hukou_type == "agricultural"
    assert queries.couple_facts(man, woman, d(1996, 1, 1)).wife.hukou_type == "non_agricultural"
    # no type recorded before the change: unknown
    blank = person(cast, "冯三", "F", d(1963, 1, 1), hukou_type="")
    registry.change_hukou_type(
        actor=cast.district_admin, person=blank, date=d(2000, 1, 1), hukou_type="agricultural"
    )
    blank.refresh_from_db()
    assert queries.couple_facts(man, blank, d(1990, 1, 1)).wife.hukou_type is None


# --- the Wang family ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_wang_family_classification(cast, families):
    son = classification(families.son)
    assert son.status == "within"
    assert son.regime.code == "51-one-child" and son.order_used == 1 and son.entitled == 1
    assert conditions(son)["married_couple"] is True
    twins = [classification(twin) for twin in families.twins]
    for row in twins:
        assert row.regime.code == "51-one-child"
        assert row.delivery_order == 2 and row.plurality == 2
        met = conditions(row)
        assert met["rural_first_child_girl"] is False  # the first child was a boy
        assert met["both_only_children"] is None  # the parents' parents are not recorded
        assert met["first_child_disabled"] is None and met["returned_overseas"] is None
        assert row.status == "unknown", row.reasons["summary_en"]
        assert (row.entitled, row.possible) == (1, 2)
        assert "boy" in next(
            c["fact_en"] for c in row.reasons["conditions"] if c["code"] == "rural_first_child_girl"
        )
    assert sorted(row.order_used for row in twins) == [2, 3]
    # once the facts are checked and declared, the twins are outside the regime
    settle(cast, families.father, families.mother)
    actions.record_declared_fact(
        actor=cast.district_admin, person=families.son, fact=DISABLED, value=False,
        evidence="无残疾证",
    )  # fmt: skip
    for twin in families.twins:
        row = classification(twin)
        assert row.status == "outside", row.reasons["summary_en"]
        assert row.reasons["summary_zh"].endswith("政策外")
    assert classification(families.son).status == "within"


@pytest.mark.django_db
def test_twins_of_a_first_delivery_are_all_within(cast):
    husband, wife = (
        person(cast, "陈一", "M", d(1960, 1, 1)),
        person(cast, "林一", "F", d(1962, 1, 1)),
    )
    registry.record_marriage(
        actor=cast.district_admin, husband=husband, wife=wife, date=d(1985, 1, 1)
    )
    twins = [
        birth(cast, wife, husband, d(1988, 8, 8), sex, n, 2)
        for sex, n in (("M", "陈甲"), ("F", "陈乙"))
    ]
    rows = [classification(t) for t in twins]
    assert [r.status for r in rows] == ["within", "within"]
    assert sorted(r.order_used for r in rows) == [1, 2] and {r.delivery_order for r in rows} == {1}


@pytest.mark.django_db
def test_births_before_the_open_letter_and_with_unknown_father(cast):
    mother = person(cast, "黄一", "F", d(1955, 1, 1))
    early = birth(cast, mother, None, d(1980, 9, 24), "F", "黄甲")
    later = birth(cast, mother, None, d(1982, 1, 1), "M", "黄乙")
    assert classification(early).status == "not_applicable"
    row = classification(later)
    assert row.status == "unknown" and row.father is None
    assert row.order_used == 2  # the mother's order where the father is unknown
    assert conditions(row)["married_couple"] is None


@pytest.mark.django_db
def test_two_child_and_three_child_regimes(cast):
    husband, wife = (
        person(cast, "何一", "M", d(1988, 1, 1)),
        person(cast, "罗一", "F", d(1990, 1, 1)),
    )
    registry.record_marriage(
        actor=cast.district_admin, husband=husband, wife=wife, date=d(2012, 1, 1)
    )
    first = birth(cast, wife, husband, d(2015, 12, 31), "M", "何甲")
    second = birth(cast, wife, husband, d(2016, 1, 1), "F", "何乙")  # impossible in life, fine
    third = birth(cast, wife, husband, d(2021, 5, 30), "F", "何丙")
    fourth = birth(cast, wife, husband, d(2021, 5, 31), "M", "何丁")
    assert classification(first).regime.code == "51-single-only-child"
    assert classification(second).regime.code == "cn-two-child"
    assert classification(second).status == "within"
    assert classification(third).status == "outside"
    assert classification(fourth).regime.code == "cn-three-child"
    assert classification(fourth).order_used == 4 and classification(fourth).status == "outside"


# --- recomputation --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_childs_death_recomputes_a_later_birth(cast):
    husband, wife = (
        person(cast, "蒋一", "M", d(1958, 1, 1)),
        person(cast, "沈一", "F", d(1960, 1, 1)),
    )
    registry.record_marriage(
        actor=cast.district_admin, husband=husband, wife=wife, date=d(1982, 1, 1)
    )
    first = birth(cast, wife, husband, d(1983, 5, 1), "M", "蒋甲")
    second = birth(cast, wife, husband, d(1989, 5, 1), "F", "蒋乙")
    settle(cast, husband, wife)
    actions.record_declared_fact(
        actor=cast.district_admin, person=first, fact=DISABLED, value=False, evidence="核实"
    )
    before = classification(second)
    assert before.status == "outside", before.reasons["summary_en"]
    first.refresh_from_db()
    registry.record_death(actor=cast.district_admin, person=first, date=d(1987, 2, 1))
    after = classification(second)
    assert after.status == "within" and after.entitled == 2
    assert conditions(after)["child_died"] is True
    assert after.facts_digest != before.facts_digest and after.computed_at >= before.computed_at
    assert classification(first).status == "within"


@pytest.mark.django_db
def test_a_hukou_change_recomputes(cast, settings):
    settings.RENKOU_PROVINCE = "41"  # Henan: the 1.5-child rule is recorded as applied
    husband, wife = (
        person(cast, "韩一", "M", d(1958, 1, 1)),
        person(cast, "杨一", "F", d(1960, 1, 1)),
    )
    registry.record_marriage(
        actor=cast.district_admin, husband=husband, wife=wife, date=d(1982, 1, 1)
    )
    girl = birth(cast, wife, husband, d(1985, 5, 1), "F", "韩甲")
    second = birth(cast, wife, husband, d(1990, 5, 1), "M", "韩乙")
    assert classification(second).regime.code == "41-one-child"
    assert classification(second).status == "within"
    assert conditions(classification(second))["rural_first_child_girl"] is True
    # a change after the birth leaves it alone
    registry.change_hukou_type(
        actor=cast.district_admin, person=wife, date=d(1995, 1, 1), hukou_type="non_agricultural"
    )
    assert classification(second).status == "within"
    # a change before it (here: the correction of that change's date) takes the rule away
    event = wife.events.get(kind="hukou_type", state="active")
    registry.correct_event(
        actor=cast.district_admin, event=event, reason="日期更正", date=d(1988, 1, 1)
    )
    settle(cast, husband, wife)
    actions.record_declared_fact(
        actor=cast.district_admin, person=girl, fact=DISABLED, value=False, evidence="核实"
    )
    row = classification(second)
    assert conditions(row)["rural_first_child_girl"] is False
    assert row.status == "outside", row.reasons["summary_en"]


@pytest.mark.django_db
def test_a_corrected_marriage_date_recomputes(cast):
    husband, wife = (
        person(cast, "朱一", "M", d(1960, 1, 1)),
        person(cast, "秦一", "F", d(1962, 1, 1)),
    )
    marriage = registry.record_marriage(
        actor=cast.district_admin, husband=husband, wife=wife, date=d(1990, 1, 1)
    )
    child = birth(cast, wife, husband, d(1987, 6, 1), "M", "朱甲")  # before the marriage
    row = classification(child)
    assert row.status == "outside" and (row.entitled, row.possible) == (0, 0)
    assert conditions(row)["married_couple"] is False
    registry.correct_marriage(
        marriage, start=d(1986, 1, 1), actor=cast.district_admin, reason="结婚证日期核对"
    )
    row = classification(child)
    assert row.status == "within" and conditions(row)["married_couple"] is True


@pytest.mark.django_db
def test_a_divorce_and_a_remarriage(cast):
    husband, wife = (
        person(cast, "许一", "M", d(1960, 1, 1)),
        person(cast, "何二", "F", d(1962, 1, 1)),
    )
    marriage = registry.record_marriage(
        actor=cast.district_admin, husband=husband, wife=wife, date=d(1984, 1, 1)
    )
    first = birth(cast, wife, husband, d(1985, 1, 1), "M", "许甲")
    registry.record_divorce(actor=cast.district_admin, marriage=marriage, date=d(1988, 1, 1))
    second = birth(cast, wife, husband, d(1990, 1, 1), "M", "许乙")  # after the divorce
    assert classification(second).status == "outside"
    assert conditions(classification(second))["married_couple"] is False
    # she remarries a man with no children: a remarried couple with one child between them
    new = person(cast, "吕一", "M", d(1961, 1, 1))
    registry.record_marriage(actor=cast.district_admin, husband=new, wife=wife, date=d(1991, 1, 1))
    joint = birth(cast, wife, new, d(1992, 1, 1), "F", "吕甲")
    row = classification(joint)
    assert row.order_used == 3  # her two children before count
    assert conditions(row)["remarried_fewer_than_two"] is False  # two before, not fewer
    assert row.status in ("outside", "unknown")
    assert classification(first).status == "within"


@pytest.mark.django_db
def test_voiding_a_birth_removes_its_classification(cast, families):
    event = families.son.events.get(kind="birth")
    registry.void_event(actor=cast.district_admin, event=event, reason="登记错误")
    assert not BirthClassification.objects.filter(child=families.son).exists()
    for twin in families.twins:
        row = classification(twin)
        assert row.delivery_order == 1 and row.status == "within"


# --- bulk -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_classify_all_agrees_with_the_incremental_results(cast, families):
    settle(cast, families.father)
    before = {r.child_id: (r.status, r.facts_digest) for r in BirthClassification.objects.all()}
    BirthClassification.objects.all().delete()
    report = actions.classify_all()
    assert report.created == len(before) == 3 and report.births == 3
    after = {r.child_id: (r.status, r.facts_digest) for r in BirthClassification.objects.all()}
    assert after == before
    again = actions.classify_all()
    assert again.unchanged == 3 and again.created == again.updated == 0
    # a unit outside the family's: nothing to do
    assert actions.classify_all(unit=cast.units["village3"]).births == 0
    # stale rows (a person no longer anyone's child) are removed
    BirthClassification.objects.create(
        child=families.migrant, birth_date=d(1995, 1, 1), status="within", facts_digest="x",
        computed_at=families.migrant.created_at,
    )  # fmt: skip
    assert actions.classify_all().removed == 1


@pytest.mark.django_db
def test_declared_facts_need_scope_and_permission(cast, families):
    with pytest.raises(OutOfScope):
        actions.record_declared_fact(
            actor=cast.outsider, person=families.father, fact=ONLY, value=False, evidence="x"
        )
    with pytest.raises(PermissionDenied):
        actions.record_declared_fact(
            actor=cast.grid_worker, person=families.father, fact=ONLY, value=False, evidence="x"
        )
    with pytest.raises(ValidationError):
        actions.record_declared_fact(
            actor=cast.district_admin, person=families.father, fact=ONLY, value=False, evidence=" "
        )
    fact = actions.record_declared_fact(
        actor=cast.township_staff, person=families.father, fact=ONLY, value=False, evidence="证明"
    )
    assert fact.history.count() == 1 and fact.recorded_by == cast.township_staff
    assert list(queries.declared_facts_visible_to(cast.outsider)) == []
    assert list(queries.classifications_visible_to(cast.outsider)) == []
    grid = queries.classifications_visible_to(cast.grid_worker)
    assert grid.count() == 3  # the Wang children live in the grid worker's community


# --- the command ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_command(cast, families):
    out = StringIO()
    call_command("policy", "load", stdout=out)
    assert "unchanged 14" in out.getvalue() or "未变 14" in out.getvalue()
    out = StringIO()
    call_command("policy", "classify", stdout=out)
    assert "3" in out.getvalue()
    out = StringIO()
    call_command(
        "policy", "evaluate", str(families.father.pk), str(families.mother.pk), "1990-06-01",
        "--json", stdout=out,
    )  # fmt: skip
    answer = json.loads(out.getvalue())
    assert answer["regime"]["code"] == "51-one-child"
    assert (answer["entitled"], answer["possible"], answer["children_counted"]) == (1, 2, 1)
    out = StringIO()
    call_command(
        "policy", "evaluate", str(families.father.pk), str(families.mother.pk), "2016-06-01",
        stdout=out,
    )  # fmt: skip
    assert "2" in out.getvalue()
    out = StringIO()
    call_command("policy", "regimes", stdout=out)
    assert "cn-three-child" in out.getvalue()
