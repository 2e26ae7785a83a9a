from django.urls import path

from apps.web.views.affected import AffectedFeed, AffectedView

app_name = "affected"

urlpatterns = [
    path("", AffectedView.as_view(), name="check"),
    path("feed.atom", AffectedFeed(), name="feed"),
]
