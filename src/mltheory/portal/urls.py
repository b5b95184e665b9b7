from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("mltheory.portal.accounts.urls")),
    path("apply/", include("mltheory.portal.admissions.urls")),
    path("seminars/", include("mltheory.portal.seminars.urls")),
    path("compute/", include("mltheory.portal.compute.urls")),
    path("", include("mltheory.portal.courses.urls")),
]
