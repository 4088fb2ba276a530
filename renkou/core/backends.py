"""Permissions come from the account's role (core.rules), not from per-user rows."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from renkou.core import rules


class RoleBackend(ModelBackend):
    def get_role_permissions(self, user_obj) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous:
            return set()
        return set(rules.permissions_for(user_obj.role))

    def get_all_permissions(self, user_obj, obj=None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_renkou_perm_cache"):
            perms = self.get_role_permissions(user_obj)
            if user_obj.is_superuser:
                perms |= super().get_all_permissions(user_obj)
            user_obj._renkou_perm_cache = perms
        return user_obj._renkou_perm_cache
