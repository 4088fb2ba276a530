from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "renkou.registry"
    label = "registry"
    verbose_name = _("Population registry")

    def ready(self) -> None:
        from renkou.core.rules import register_role_codenames
        from renkou.registry.permissions import ROLE_CODENAMES

        register_role_codenames(self.label, ROLE_CODENAMES)
