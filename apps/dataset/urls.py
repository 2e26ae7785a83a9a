from django.urls import path

from apps.dataset import views

app_name = "dataset"

urlpatterns = [
    path("", views.data_page, name="page"),
    path("<str:name>", views.data_file, name="file"),
]
