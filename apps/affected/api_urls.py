from django.urls import path

from apps.affected.api import AffectedView

urlpatterns = [path("", AffectedView.as_view(), name="affected")]
