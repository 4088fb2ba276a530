"""Django admin (superusers only): regimes are edited through `actions.update_regime`, so an
edit is checked like a data file and versioned; classifications are read-only."""

from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from renkou.lib.inputcheck import checked_model_form
from renkou.policy import actions
from renkou.policy.models import BirthClassification, DeclaredFact, Regime


@admin.register(Regime)
class RegimeAdmin(SimpleHistoryAdmin):
    form = checked_model_form()
    list_display = ("code", "scope", "scope_code", "effective_from", "effective_to",
                    "base_children", "version", "edited_locally")  # fmt: skip
    list_filter = ("scope", "scope_code", "edited_locally")
    readonly_fields = ("code", "scope", "scope_code", "version", "file_version", "file_digest",
                       "loaded_from", "edited_locally", "updated_at")  # fmt: skip

    def has_add_permission(self, request) -> bool:
        return False  # regimes come from the data files (renkou policy load)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        fields = {name: form.cleaned_data[name] for name in form.changed_data
                  if name in actions.EDITABLE}  # fmt: skip
        stored = Regime.objects.get(pk=obj.pk)
        actions.update_regime(
            actor=request.user, regime=stored, reason="edited in the admin", **fields
        )


@admin.register(DeclaredFact)
class DeclaredFactAdmin(SimpleHistoryAdmin):
    form = checked_model_form()
    list_display = ("person", "fact", "value", "since", "evidence", "recorded_at")
    list_filter = ("fact", "value")
    raw_id_fields = ("person", "recorded_by")


@admin.register(BirthClassification)
class BirthClassificationAdmin(admin.ModelAdmin):
    form = checked_model_form()
    list_display = ("child", "birth_date", "regime", "order_used", "entitled", "possible",
                    "status", "computed_at")  # fmt: skip
    list_filter = ("status", "regime")
    raw_id_fields = ("child", "mother", "father")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
