from django.contrib import admin

from renkou.benefits.models import BenefitFact, Case, Cycle, Programme
from renkou.lib.inputcheck import checked_model_form


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    form = checked_model_form()
    list_display = ("code", "name_zh", "level", "subject", "active", "edited_locally")
    readonly_fields = ("file_digest", "loaded_from", "updated_at")


@admin.register(Cycle)
class CycleAdmin(admin.ModelAdmin):
    form = checked_model_form()
    list_display = ("programme", "year", "unit", "status", "posting_from", "posting_to")
    list_filter = ("status", "year")


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    form = checked_model_form()
    list_display = ("kind", "status", "unit", "roster", "created_at")
    list_filter = ("kind", "status")


@admin.register(BenefitFact)
class BenefitFactAdmin(admin.ModelAdmin):
    form = checked_model_form()
    list_display = ("person", "kind", "value", "evidence", "recorded_at")
    raw_id_fields = ("person",)
