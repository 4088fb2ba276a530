from django.urls import path

from renkou.registry import views

urlpatterns = [
    path("persons/", views.person_search, name="person-search"),
    path("persons/new/", views.person_create, name="person-create"),
    path("persons/<int:pk>/", views.person_detail, name="person-detail"),
    path("persons/<int:pk>/reveal/", views.person_reveal, name="person-reveal"),
    path("persons/<int:pk>/events/<slug:kind>/", views.event_record, name="event-record"),
    path("events/<int:pk>/correct/", views.event_correct, name="event-correct"),
    path("events/<int:pk>/void/", views.event_void, name="event-void"),
    path("households/<int:pk>/", views.household_detail, name="household-detail"),
    path("units/<int:pk>/persons/<slug:kind>/", views.unit_persons, name="unit-persons"),
]
