"""`renkou tokens issue USERNAME` / `renkou tokens revoke PREFIX` / `renkou tokens list`."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from renkou.core import actions
from renkou.core.models import ApiToken, User


class Command(BaseCommand):
    help = "Issue, list and revoke API tokens of feed accounts (接口令牌)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True)
        issue = sub.add_parser("issue", help="issue a token; it is shown once")
        issue.add_argument("username")
        issue.add_argument("--name", default="cli")
        revoke = sub.add_parser("revoke", help="revoke the token with this prefix")
        revoke.add_argument("prefix")
        sub.add_parser("list", help="list tokens (prefixes only)")

    def handle(self, *args, verb: str, **options):
        if verb == "issue":
            user = User.objects.filter(username=options["username"]).first()
            if user is None:
                raise CommandError(f"没有该用户 / no such user: {options['username']}")
            _token, raw = actions.issue_api_token(actor=None, user=user, name=options["name"])
            self.stdout.write(f"Authorization: Bearer {raw}")
        elif verb == "revoke":
            token = ApiToken.objects.filter(
                prefix=options["prefix"], revoked_at__isnull=True
            ).first()
            if token is None:
                raise CommandError(f"没有该令牌 / no active token {options['prefix']}")
            actions.revoke_api_token(actor=None, token=token)
            self.stdout.write(f"revoked {token.prefix}")
        else:
            for token in ApiToken.objects.select_related("user").order_by("user__username"):
                state = "revoked" if token.revoked_at else "active"
                self.stdout.write(f"{token.user.username}\t{token.prefix}…\t{token.name}\t{state}")
