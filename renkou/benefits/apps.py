from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BenefitsConfig(AppConfig):
    name = "renkou.benefits"
    label = "benefits"
    verbose_name = _("Benefits")

    def ready(self) -> None:
        from renkou.benefits.permissions import ROLE_CODENAMES
        from renkou.core.rules import register_role_codenames

        register_role_codenames(self.label, ROLE_CODENAMES)
