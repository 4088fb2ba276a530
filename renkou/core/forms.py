from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from renkou.core import rules
from renkou.core.models import AccessLog, OrgUnit, Role, UnitKind
from renkou.lib.inputcheck import CheckedFormMixin, model_max_length, posted_text


class StyledForm(CheckedFormMixin, forms.Form):
    """Bootstrap classes on every widget, so templates render fields with `{{ field }}`."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            css = "form-select" if isinstance(widget, forms.Select) else "form-control"
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            widget.attrs["class"] = (widget.attrs.get("class", "") + " " + css).strip()

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = widget.attrs.get("class", "") + " is-invalid"


def add_action_errors(form: forms.Form, error: ValidationError) -> None:
    """Show an action's ValidationError on the form field it names (or on the form)."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            known = field in form.fields
            form.add_error(field if known else None, messages)
            if known:
                widget = form.fields[field].widget
                widget.attrs["class"] = widget.attrs.get("class", "") + " is-invalid"
    else:
        form.add_error(None, error.messages)


def reveal_reason(data) -> str:
    """The reason typed with a reveal (it is kept in the access log): checked and bounded like
    any text input, or a ValidationError naming the field."""
    limit = model_max_length(AccessLog, "reason")
    return posted_text(data, "reason", max_length=limit, label=str(_("reason")))


class LoginForm(CheckedFormMixin, AuthenticationForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-control"

    def confirm_login_allowed(self, user) -> None:
        super().confirm_login_allowed(user)
        if not user.is_superuser and user.role not in rules.WEB_ROLES:
            raise ValidationError(
                _("This account is for the API only and cannot sign in to the web pages."),
                code="api_only",
            )


class TokenForm(StyledForm):
    token = forms.CharField(
        label=_("6-digit code from the authenticator app"),
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


def kind_choices(level: int) -> list[tuple[str, str]]:
    labels = dict(UnitKind.choices)
    return [(kind, labels[kind]) for kind in rules.LEVEL_KINDS.get(level, ())]


class UnitCreateForm(StyledForm):
    code = forms.CharField(label=_("Division code"), max_length=15)
    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"))
    opened_on = forms.DateField(
        label=_("Opened on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(label=_("Reason or document"), max_length=500, required=False)

    def __init__(self, *args, parent: OrgUnit, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = kind_choices(parent.level + 1)
        self.fields["code"].help_text = _("Starts with %(prefix)s") % {
            "prefix": parent.code[: {1: 6, 2: 9, 3: 12}.get(parent.level, 12)]
        }


class DatedReasonForm(StyledForm):
    effective_on = forms.DateField(
        label=_("Effective on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(label=_("Reason or document"), max_length=500, required=False)


class RenameForm(DatedReasonForm):
    name = forms.CharField(label=_("New name"), max_length=100)
    field_order = ["name", "effective_on", "reason"]


class CloseForm(DatedReasonForm):
    pass


class UnitChoiceForm(DatedReasonForm):
    target = forms.ModelChoiceField(label=_("Unit"), queryset=OrgUnit.objects.none())
    field_order = ["target", "effective_on", "reason"]

    def __init__(self, *args, targets, target_label=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].queryset = targets
        if target_label:
            self.fields["target"].label = target_label


class StaffCreateForm(StyledForm):
    username = forms.CharField(label=_("Username"), max_length=150)
    full_name = forms.CharField(label=_("Full name"), max_length=60)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=OrgUnit.objects.none())
    duty = forms.CharField(label=_("Duty"), max_length=100, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)
    id_number = forms.CharField(label=_("ID number"), max_length=24, required=False)
    password = forms.CharField(label=_("Initial password"), widget=forms.PasswordInput)

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units


class DisableForm(StyledForm):
    reason = forms.CharField(label=_("Reason"), max_length=500)


class AuditFilterForm(StyledForm):
    user = forms.IntegerField(label=_("Staff (id)"), required=False)
    unit = forms.IntegerField(required=False, widget=forms.HiddenInput)
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class AssignForm(StyledForm):
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=OrgUnit.objects.none())
    duty = forms.CharField(label=_("Duty"), max_length=100, required=False)
    since = forms.DateField(
        label=_("since"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units


class SplitForm(DatedReasonForm):
    code = forms.CharField(label=_("Division code of the new unit"), max_length=15)
    name = forms.CharField(label=_("Name of the new unit"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"))
    children = forms.ModelMultipleChoiceField(
        label=_("Units that move to the new unit"),
        queryset=OrgUnit.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    close_source = forms.BooleanField(
        label=_("Close the original unit (every unit below it must move)"), required=False
    )
    field_order = ["code", "name", "kind", "children", "close_source", "effective_on", "reason"]

    def __init__(self, *args, unit: OrgUnit, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = kind_choices(unit.level)
        self.fields["children"].queryset = unit.children.filter(closed_on__isnull=True)
        self.fields["children"].widget.attrs["class"] = "form-check-input"
