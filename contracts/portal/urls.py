from django.urls import path

from . import rectifications, views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("contracts/<int:pk>/", views.contract_detail, name="contract"),
    path("periods/<int:pk>/", views.period_detail, name="period"),
    path("periods/<int:pk>/template/", views.template_download, name="period-template"),
    path("periods/<int:pk>/template/upload/", views.template_upload_view, name="period-upload"),
    path("periods/<int:pk>/objections/", views.period_objections_view, name="objections"),
    path("periods/<int:pk>/objections/new/", views.objection_new, name="objection-new"),
    path("template/", views.template_download, name="template"),
    path("template/upload/", views.template_upload_view, name="upload"),
    path("rectifications/", rectifications.notice_list, name="rectifications"),
    path("rectifications/<int:pk>/", rectifications.notice_detail, name="rectification"),
]
