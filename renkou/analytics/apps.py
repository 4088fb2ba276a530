from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "renkou.analytics"
    label = "analytics"
    verbose_name = _("Analytics")

    def ready(self) -> None:
        from renkou.analytics.permissions import ROLE_CODENAMES
        from renkou.core.rules import register_role_codenames

        register_role_codenames(self.label, ROLE_CODENAMES)
        # Exporter modules register the snapshot's tables when imported (analytics.exporting).
        from renkou.analytics import exporters_benefits, exporters_births, exporters_core

        del exporters_benefits, exporters_births, exporters_core
