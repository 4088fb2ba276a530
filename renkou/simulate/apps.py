from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SimulateConfig(AppConfig):
    name = "renkou.simulate"
    label = "simulate"
    verbose_name = _("District simulator")
