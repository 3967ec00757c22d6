from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("", views.library, name="library"),
    path("request/", views.request_report, name="request"),
    path("verify/", views.verify, name="verify"),
    path("<int:pk>/", views.detail, name="detail"),
]
