from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BirthsConfig(AppConfig):
    name = "renkou.births"
    label = "births"
    verbose_name = _("Birth registration")
