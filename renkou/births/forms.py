"""Forms of the birth-registration pages (the rules themselves are in actions/rules)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from renkou.births.models import State
from renkou.core.filters import MAX_ID
from renkou.lib.inputcheck import CheckedFormMixin

_DATE = forms.DateInput(attrs={"type": "date", "class": "form-control"})
_TEXT = forms.TextInput(attrs={"class": "form-control"})
_NUMBER = forms.NumberInput(attrs={"class": "form-control"})


class ApplicationForm(CheckedFormMixin, forms.Form):
    wife = forms.IntegerField(
        label=_("Wife (person number)"), min_value=1, max_value=MAX_ID, widget=_NUMBER
    )
    husband = forms.IntegerField(
        label=_("Husband (person number)"),
        min_value=1,
        max_value=MAX_ID,
        required=False,
        widget=_NUMBER,
        help_text=_("Leave empty only for an unmarried applicant where the regime allows it."),
    )
    child_order = forms.IntegerField(
        label=_("Child order applied for"), min_value=1, max_value=15, widget=_NUMBER
    )
    applied_on = forms.DateField(label=_("Application date"), required=False, widget=_DATE)
    expected_birth_date = forms.DateField(
        label=_("Expected birth date"), required=False, widget=_DATE
    )
    actual_birth_date = forms.DateField(label=_("Actual birth date"), required=False, widget=_DATE)
    contact_name = forms.CharField(
        label=_("Applicant"), max_length=50, required=False, widget=_TEXT
    )
    contact_phone = forms.CharField(
        label=_("Applicant's phone"), max_length=20, required=False, widget=_TEXT
    )


class TransitionForm(CheckedFormMixin, forms.Form):
    action = forms.CharField(max_length=20)
    note = forms.CharField(max_length=300, required=False)
    reason = forms.CharField(max_length=300, required=False)


class FilterForm(CheckedFormMixin, forms.Form):
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[("", _("all"))] + list(State.choices),
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    unit = forms.TypedChoiceField(
        label=_("Unit"),
        required=False,
        coerce=int,
        empty_value=None,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [("", _("all"))] + [(u.pk, u.name) for u in units]
