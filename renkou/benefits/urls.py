from django.urls import path

from renkou.benefits import views

urlpatterns = [
    path("benefits/", views.programme_list, name="benefits-programmes"),
    path("benefits/programmes/new/", views.programme_new, name="benefits-programme-new"),
    path("benefits/programmes/<int:pk>/", views.programme_detail, name="benefits-programme"),
    path("benefits/programmes/<int:pk>/cycles/", views.cycle_open, name="benefits-cycle-open"),
    path("benefits/cycles/<int:pk>/", views.cycle_detail, name="benefits-cycle"),
    path("benefits/cycles/<int:pk>/confirm/", views.cycle_confirm, name="benefits-cycle-confirm"),
    path("benefits/cycles/<int:pk>/post/", views.cycle_post, name="benefits-cycle-post"),
    path("benefits/cycles/<int:pk>/approve/", views.cycle_approve, name="benefits-cycle-approve"),
    path("benefits/cycles/<int:pk>/sample/", views.cycle_sample, name="benefits-cycle-sample"),
    path(
        "benefits/cycles/<int:pk>/posting.xlsx",
        views.cycle_posting_xlsx,
        name="benefits-cycle-posting",
    ),
    path("benefits/cycles/<int:pk>/rosters/", views.roster_build, name="benefits-roster-build"),
    path("benefits/candidates/<int:pk>/", views.candidate_detail, name="benefits-candidate"),
    path(
        "benefits/candidates/<int:pk>/objections/",
        views.objection_add,
        name="benefits-objection-add",
    ),
    path("benefits/candidates/<int:pk>/check/", views.candidate_check, name="benefits-check"),
    path(
        "benefits/objections/<int:pk>/settle/",
        views.objection_settle,
        name="benefits-objection-settle",
    ),
    path("benefits/rosters/<int:pk>/", views.roster_detail, name="benefits-roster"),
    path("benefits/rosters/<int:pk>/roster.xlsx", views.roster_xlsx, name="benefits-roster-xlsx"),
    path("benefits/rosters/<int:pk>/roster.pdf", views.roster_pdf, name="benefits-roster-pdf"),
    path("benefits/rosters/<int:pk>/bank/", views.roster_bank, name="benefits-roster-bank"),
    path("benefits/imports/<int:pk>/", views.bank_import_detail, name="benefits-import"),
    path(
        "benefits/imports/<int:pk>/progress/",
        views.bank_import_progress,
        name="benefits-import-progress",
    ),
    path(
        "benefits/imports/<int:pk>/problems.csv",
        views.bank_import_report,
        name="benefits-import-report",
    ),
    path("benefits/cases/", views.case_list, name="benefits-cases"),
    path("benefits/cases/<int:pk>/", views.case_detail, name="benefits-case"),
    path("benefits/cases/<int:pk>/resolve/", views.case_resolve, name="benefits-case-resolve"),
    path("benefits/cases/<int:pk>/reopen/", views.case_reopen, name="benefits-case-reopen"),
]
