"""The record of each analytics snapshot: when it was made, where its Parquet files are."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Snapshot(models.Model):
    """One export of the registry to Parquet analytics tables (`renkou snapshot`).

    Web pages read the latest one and show its time; they never aggregate the operational
    tables. Not unit-owned: the files hold the whole district; pages filter them by scope.
    """

    created_at = models.DateTimeField(_("made at"), auto_now_add=True, db_index=True)
    path = models.CharField(_("directory"), max_length=500)
    counts = models.JSONField(_("row counts"), default=dict)
    seconds = models.FloatField(_("seconds taken"), default=0)
    created_by = models.ForeignKey(
        "core.User",
        verbose_name=_("made by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("analytics snapshot")
        verbose_name_plural = _("analytics snapshots")
        ordering = ["-created_at", "-pk"]
        permissions = [
            ("view_dashboard", _("Can view the statistics dashboard")),
            ("build_snapshot", _("Can make an analytics snapshot")),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.path}"
