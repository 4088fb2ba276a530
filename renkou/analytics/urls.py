from django.urls import path

from renkou.analytics import views

urlpatterns = [
    path("analytics/", views.dashboard, name="analytics-dashboard"),
    path("analytics/export/<slug:table>.xlsx", views.export, name="analytics-export"),
    path("analytics/snapshot/", views.build, name="analytics-build-snapshot"),
]
