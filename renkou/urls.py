from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

from renkou.api.urls import api
from renkou.web import views as web_views

urlpatterns = [
    path("", web_views.home, name="home"),
    path("healthz", web_views.healthz, name="healthz"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("", include("renkou.core.urls")),
    path("", include("renkou.registry.urls")),
    path("", include("renkou.births.urls")),
    path("", include("renkou.benefits.urls")),
    path("", include("renkou.analytics.urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]
