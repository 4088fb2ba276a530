"""Password rules beyond Django's: mixed character classes, and never the username."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def _classes(password: str) -> int:
    kinds = [
        any(c.islower() for c in password),
        any(c.isupper() for c in password),
        any(c.isdigit() for c in password),
        any(not c.isalnum() for c in password),
    ]
    return sum(kinds)


class CharacterClassValidator:
    """At least two of: lower-case, upper-case, digits, other characters."""

    def validate(self, password: str, user=None) -> None:
        if _classes(password) < 2:
            raise ValidationError(
                _(
                    "The password must mix at least two kinds of characters "
                    "(lower case, upper case, digits, symbols)."
                ),
                code="password_one_class",
            )

    def get_help_text(self) -> str:
        return _("Mix at least two kinds of characters: lower case, upper case, digits, symbols.")


class NotUsernameValidator:
    def validate(self, password: str, user=None) -> None:
        username = getattr(user, "username", "") or ""
        if username and username.lower() in password.lower():
            raise ValidationError(
                _("The password must not contain the username."), code="password_has_username"
            )

    def get_help_text(self) -> str:
        return _("The password must not contain your username.")
