"""One form per event type; each calls its action, which validates and keeps history."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from renkou.core.forms import StyledForm
from renkou.core.models import OrgUnit
from renkou.lib.codes import ETHNIC_GROUPS
from renkou.lib.inputcheck import CheckedFormMixin
from renkou.registry.models import HukouType, Person, Sex

DATE = forms.DateInput(attrs={"type": "date"})


class SearchForm(CheckedFormMixin, forms.Form):
    q = forms.CharField(
        label=_("Name, pinyin, initials, ID number, phone or household number"),
        required=False,
        max_length=60,
    )


class ReasonForm(StyledForm):
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class BirthForm(ReasonForm):
    date = forms.DateField(label=_("Date of birth"), widget=DATE)
    sex = forms.ChoiceField(label=_("Sex"), choices=Sex.choices)
    name = forms.CharField(label=_("Child's name"), max_length=50, required=False)
    father = forms.ModelChoiceField(
        label=_("Father"), queryset=Person.objects.none(), required=False
    )
    place = forms.CharField(label=_("Place or hospital"), max_length=100, required=False)
    plurality = forms.IntegerField(
        label=_("Babies in the delivery"), min_value=1, max_value=8, initial=1
    )
    id_number = forms.CharField(label=_("ID number (if issued)"), max_length=24, required=False)
    field_order = ["date", "sex", "name", "father", "place", "plurality", "id_number", "reason"]

    def __init__(self, *args, fathers=None, **kwargs):
        super().__init__(*args, **kwargs)
        if fathers is not None:
            self.fields["father"].queryset = fathers


class DeathForm(ReasonForm):
    date = forms.DateField(label=_("Date of death"), widget=DATE)
    cause_category = forms.CharField(label=_("Cause category"), max_length=40, required=False)
    field_order = ["date", "cause_category", "reason"]


class MoveOutForm(ReasonForm):
    date = forms.DateField(label=_("Date"), widget=DATE)
    division_to = forms.CharField(label=_("Division code moved to"), max_length=12, required=False)
    moves_hukou = forms.BooleanField(
        label=_("The household registration moves too"), required=False
    )
    field_order = ["date", "division_to", "moves_hukou", "reason"]


class MoveInForm(ReasonForm):
    date = forms.DateField(label=_("Date"), widget=DATE)
    residence_unit = forms.ModelChoiceField(
        label=_("Unit moved to"), queryset=OrgUnit.objects.none()
    )
    division_from = forms.CharField(
        label=_("Division code moved from"), max_length=12, required=False
    )
    moves_hukou = forms.BooleanField(
        label=_("The household registration moves too"), required=False
    )
    field_order = ["date", "residence_unit", "division_from", "moves_hukou", "reason"]

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        if units is not None:
            self.fields["residence_unit"].queryset = units


class HukouTypeForm(ReasonForm):
    date = forms.DateField(label=_("Date"), widget=DATE)
    hukou_type = forms.ChoiceField(label=_("New registration type"), choices=HukouType.choices)
    field_order = ["date", "hukou_type", "reason"]


class MarriageForm(ReasonForm):
    date = forms.DateField(label=_("Date of marriage"), widget=DATE)
    spouse = forms.ModelChoiceField(label=_("Spouse"), queryset=Person.objects.none())
    field_order = ["date", "spouse", "reason"]

    def __init__(self, *args, spouses=None, **kwargs):
        super().__init__(*args, **kwargs)
        if spouses is not None:
            self.fields["spouse"].queryset = spouses


class CorrectionForm(StyledForm):
    date = forms.DateField(label=_("Corrected date"), widget=DATE)
    reason = forms.CharField(label=_("Reason for the correction"), max_length=200)


class VoidForm(StyledForm):
    reason = forms.CharField(label=_("Reason for the deletion"), max_length=200)


class PersonForm(ReasonForm):
    name = forms.CharField(label=_("Name"), max_length=50)
    sex = forms.ChoiceField(label=_("Sex"), choices=Sex.choices)
    birth_date = forms.DateField(label=_("Birth date"), widget=DATE)
    id_number = forms.CharField(label=_("ID number"), max_length=24, required=False)
    ethnic_group = forms.ChoiceField(
        label=_("Ethnic group"), choices=sorted(ETHNIC_GROUPS.items()), initial="01"
    )
    hukou_type = forms.ChoiceField(
        label=_("Household-registration type"),
        choices=[("", "—"), *HukouType.choices],
        required=False,
    )
    residence_unit = forms.ModelChoiceField(
        label=_("Lives in"), queryset=OrgUnit.objects.none(), required=False
    )
    hukou_unit = forms.ModelChoiceField(
        label=_("Registered in (this district)"), queryset=OrgUnit.objects.none(), required=False
    )
    hukou_division = forms.CharField(
        label=_("Registered in (division code, if elsewhere)"), max_length=12, required=False
    )
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        if units is not None:
            self.fields["residence_unit"].queryset = units
            self.fields["hukou_unit"].queryset = units
