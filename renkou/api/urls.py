"""The platform's API: /api/v1/, OpenAPI at /api/v1/openapi.json; each app adds a router."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from ninja import NinjaAPI
from ninja.security import HttpBearer, django_auth

from renkou.core.api import router as core_router


class TokenAuth(HttpBearer):
    """Bearer tokens of department feed accounts (and any staff account given one)."""

    def authenticate(self, request: HttpRequest, token: str):
        from renkou.core.actions import use_api_token

        user = use_api_token(raw=token)
        if user is None:
            return None
        request.user = user
        return user


api = NinjaAPI(
    title="Renkou API",
    version="1",
    description="人口计生综合服务管理平台 API. Every endpoint is scoped to the caller's units.",
    auth=[TokenAuth(), django_auth],
    urls_namespace="api",
)


@api.exception_handler(PermissionDenied)
def permission_denied(request: HttpRequest, exc: PermissionDenied):
    return api.create_response(request, {"detail": str(exc) or "permission denied"}, status=403)


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError):
    errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    return api.create_response(request, {"detail": errors}, status=422)


api.add_router("/", core_router)
api.add_router("/", "renkou.registry.api.router")
api.add_router("/", "renkou.policy.api.router")
api.add_router("/", "renkou.births.api.router")
api.add_router("/", "renkou.benefits.api.router")
api.add_router("/", "renkou.analytics.api.router")
