"""Forms of the benefit pages. `ProgrammeForm` is the district's programme builder: the
building blocks as fields, so a new local programme needs no code."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from renkou.benefits.models import Programme
from renkou.lib.inputcheck import CheckedFormMixin

WIDGET = {"class": "form-control"}
DATE = forms.DateInput(attrs={"type": "date", "class": "form-control"})


class ProgrammeForm(CheckedFormMixin, forms.Form):
    code = forms.SlugField(label=_("Code"), max_length=40, widget=forms.TextInput(attrs=WIDGET))
    name_zh = forms.CharField(
        label=_("Name (Chinese)"), max_length=100, widget=forms.TextInput(attrs=WIDGET)
    )
    name_en = forms.CharField(
        label=_("Name (English)"), max_length=200, widget=forms.TextInput(attrs=WIDGET)
    )
    district = forms.ModelChoiceField(
        label=_("District"), queryset=None, widget=forms.Select(attrs={"class": "form-select"})
    )
    source = forms.CharField(
        label=_("Source (document, section)"), max_length=500, widget=forms.TextInput(attrs=WIDGET)
    )
    residence = forms.ChoiceField(
        label=_("Must be in the district by"),
        choices=[("hukou", _("household registration")), ("residence", _("residence")),
                 ("", _("no condition"))],
        required=False, widget=forms.Select(attrs={"class": "form-select"}),
    )  # fmt: skip
    rural = forms.BooleanField(
        label=_("Agricultural household registration (self and spouse)"), required=False
    )
    min_age = forms.IntegerField(
        label=_("Age at least (on the cut-off date)"),
        min_value=0,
        max_value=120,
        required=False,
        widget=forms.NumberInput(attrs=WIDGET),
    )
    wife_age = forms.BooleanField(
        label=_("Count the wife's age (single parents: their own)"), required=False
    )
    max_age = forms.IntegerField(
        label=_("Age below"),
        min_value=1,
        max_value=120,
        required=False,
        widget=forms.NumberInput(attrs=WIDGET),
    )
    born_from = forms.DateField(label=_("Born on or after"), required=False, widget=DATE)
    sex = forms.ChoiceField(
        label=_("Sex"),
        choices=[("", _("any")), ("M", _("male")), ("F", _("female"))],
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    children = forms.ChoiceField(
        label=_("Children"),
        choices=[
            ("", _("no condition")),
            ("jiangfu", _("one living child, or two girls, or none left after births")),
            ("died", _("had children, none alive")),
            ("disabled", _("one living child, disabled")),
            ("count", _("number of living / dead children")),
        ],
        required=False, widget=forms.Select(attrs={"class": "form-select"}),
    )  # fmt: skip
    max_grade = forms.IntegerField(
        label=_("Disability grade at most"),
        min_value=1,
        max_value=4,
        required=False,
        widget=forms.NumberInput(attrs=WIDGET),
    )
    alive_min = forms.IntegerField(
        label=_("Living children at least"),
        min_value=0,
        required=False,
        widget=forms.NumberInput(attrs=WIDGET),
    )
    alive_max = forms.IntegerField(
        label=_("Living children at most"),
        min_value=0,
        required=False,
        widget=forms.NumberInput(attrs=WIDGET),
    )
    dead_min = forms.IntegerField(
        label=_("Dead children at least"),
        min_value=0,
        required=False,
        widget=forms.NumberInput(attrs=WIDGET),
    )
    certificate = forms.BooleanField(label=_("Only-child parents' certificate"), required=False)
    policy_from = forms.DateField(
        label=_("No birth outside the policy from"), required=False, widget=DATE
    )
    policy_to = forms.DateField(label=_("… to"), required=False, widget=DATE)
    monthly = forms.DecimalField(
        label=_("Amount per month (yuan)"),
        min_value=0,
        max_digits=10,
        decimal_places=2,
        widget=forms.NumberInput(attrs=WIDGET),
    )
    amount_from = forms.DateField(label=_("Amount in force from"), widget=DATE)
    excludes = forms.MultipleChoiceField(
        label=_("Excludes the programmes"),
        required=False,
        widget=forms.SelectMultiple(attrs={"class": "form-select"}),
    )

    def __init__(self, *args, districts=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].queryset = districts
        self.fields["excludes"].choices = list(Programme.objects.values_list("code", "name_zh"))

    def clean(self):
        data = super().clean()
        if data.get("children") == "disabled" and not data.get("max_grade"):
            self.add_error("max_grade", _("Give the highest disability grade."))
        if bool(data.get("policy_from")) != bool(data.get("policy_to")):
            self.add_error("policy_to", _("Give both dates or neither."))
        return data

    def rule(self) -> list[dict]:
        data, source = self.cleaned_data, self.cleaned_data["source"]
        rule: list[dict] = [{"block": "alive", "source": source}]
        if data.get("residence"):
            rule.append({"block": "in_district", "of": data["residence"], "source": source})
        if data.get("rural"):
            rule.append(
                {"block": "hukou_type", "types": ["agricultural"], "spouse": True, "source": source}
            )
        if data.get("born_from"):
            rule.append(
                {
                    "block": "born_on_or_after",
                    "date": data["born_from"].isoformat(),
                    "source": source,
                }
            )
        if data.get("min_age") is not None:
            block = {"block": "age_at_least", "years": data["min_age"], "source": source}
            if data.get("wife_age"):
                block["who"] = "wife_or_self"
            rule.append(block)
        if data.get("max_age"):
            rule.append({"block": "age_below", "years": data["max_age"], "source": source})
        if data.get("sex"):
            rule.append({"block": "sex", "sex": data["sex"], "source": source})
        if data.get("children"):
            block = {"block": "children", "mode": data["children"], "source": source}
            if data["children"] == "disabled":
                block["max_grade"] = data["max_grade"]
            for key in ("alive_min", "alive_max", "dead_min"):
                if data["children"] == "count" and data.get(key) is not None:
                    block[key] = data[key]
            rule.append(block)
        if data.get("certificate"):
            rule.append({"block": "certificate", "source": source})
        if data.get("policy_from"):
            rule.append({
                "block": "no_birth_outside_policy", "from": data["policy_from"].isoformat(),
                "to": data["policy_to"].isoformat(), "source": source,
            })  # fmt: skip
        return rule

    def programme_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "code": data["code"],
            "unit": data["district"],
            "name_zh": data["name_zh"],
            "name_en": data["name_en"],
            "source": data["source"],
            "rule": self.rule(),
            "amounts": [
                {
                    "from": data["amount_from"].isoformat(),
                    "monthly": str(data["monthly"]),
                    "source": data["source"],
                }
            ],  # fmt: skip
            "cost_shares": {"local": 1},
            "excludes": list(data.get("excludes") or []),
        }


class PostingForm(CheckedFormMixin, forms.Form):
    posting_from = forms.DateField(label=_("Posting from"), widget=DATE)
    posting_to = forms.DateField(label=_("Posting to"), widget=DATE)


class ObjectionForm(CheckedFormMixin, forms.Form):
    text = forms.CharField(
        label=_("Objection"),
        max_length=500,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 2}),
    )
    raised_on = forms.DateField(label=_("Raised on"), widget=DATE)
