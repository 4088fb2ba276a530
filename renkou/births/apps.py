from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BirthsConfig(AppConfig):
    name = "renkou.births"
    label = "births"
    verbose_name = _("Birth registration")

    def ready(self) -> None:
        from renkou.births.permissions import ROLE_CODENAMES
        from renkou.core.rules import register_role_codenames

        register_role_codenames(self.label, ROLE_CODENAMES)
