from django.contrib.auth import views as auth_views
from django.urls import path

from renkou.core import auth_views as account
from renkou.core import views

urlpatterns = [
    path("accounts/login/", account.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/otp/verify/", account.otp_verify, name="otp-verify"),
    path("accounts/otp/setup/", account.otp_setup, name="otp-setup"),
    path("units/", views.unit_tree, name="unit-tree"),
    path("units/pick/", views.unit_picker, name="unit-picker"),
    path("units/<int:pk>/", views.unit_detail, name="unit-detail"),
    path("units/<int:pk>/new/", views.unit_create, name="unit-create"),
    path("units/<int:pk>/rename/", views.unit_rename, name="unit-rename"),
    path("units/<int:pk>/close/", views.unit_close, name="unit-close"),
    path("units/<int:pk>/move/", views.unit_move, name="unit-move"),
    path("units/<int:pk>/merge/", views.unit_merge, name="unit-merge"),
    path("units/<int:pk>/split/", views.unit_split, name="unit-split"),
    path("staff/", views.staff_list, name="staff-list"),
    path("staff/new/", views.staff_create, name="staff-create"),
    path("staff/<int:pk>/", views.staff_detail, name="staff-detail"),
    path("staff/<int:pk>/reveal/", views.staff_reveal, name="staff-reveal"),
    path("staff/<int:pk>/disable/", views.staff_disable, name="staff-disable"),
    path("staff/<int:pk>/unlock/", views.staff_unlock, name="staff-unlock"),
    path("staff/<int:pk>/assign/", views.staff_assign, name="staff-assign"),
    path("assignments/<int:pk>/end/", views.assignment_end, name="assignment-end"),
    path("audit/", views.audit, name="audit"),
]
