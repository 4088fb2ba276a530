from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PolicyConfig(AppConfig):
    name = "renkou.policy"
    label = "policy"
    verbose_name = _("Birth policy")

    def ready(self) -> None:
        from renkou.core.rules import register_role_codenames
        from renkou.policy.actions import reclassify_family
        from renkou.policy.permissions import ROLE_CODENAMES
        from renkou.registry import listeners

        register_role_codenames(self.label, ROLE_CODENAMES)
        # The registry tells its listeners when a person's facts change (registry.listeners).
        listeners.on_facts_changed(reclassify_family)
