from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "renkou.core"
    label = "core"
    verbose_name = _("Org units and staff")

    def ready(self) -> None:
        from renkou.core.permissions import ROLE_CODENAMES
        from renkou.core.queries import assigned_unit_paths
        from renkou.core.rules import register_role_codenames
        from renkou.lib import scoping

        register_role_codenames(self.label, ROLE_CODENAMES)
        scoping.register_assignment_source(assigned_unit_paths)
