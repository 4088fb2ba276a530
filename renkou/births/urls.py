from django.urls import path

from renkou.births import views

urlpatterns = [
    path("births/", views.application_list, name="birth-list"),
    path("births/worklist/", views.worklist, name="birth-worklist"),
    path("births/new/", views.application_create, name="birth-create"),
    path("births/<int:pk>/", views.application_detail, name="birth-detail"),
    path("births/<int:pk>/transition/", views.application_transition, name="birth-transition"),
    path(
        "births/<int:pk>/documents/<slug:code>/",
        views.document_check,
        name="birth-document",
    ),
    path("births/<int:pk>/certificate.pdf", views.certificate, name="birth-certificate"),
    path("births/verify/<str:code>/", views.verify, name="birth-verify"),
]
