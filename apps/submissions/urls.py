from django.urls import path, register_converter

from apps.submissions import views
from apps.submissions.models import TRACKING_TOKEN_RE


class TrackingTokenConverter:
    """Only what a tracking token can be reaches the database; anything else is a 404."""

    regex = TRACKING_TOKEN_RE.pattern.strip("^$")

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(TrackingTokenConverter, "tracking_token")

app_name = "submissions"

urlpatterns = [
    path("submit/", views.SubmitStoryView.as_view(), name="submit"),
    path("submit/edit/<slug:slug>/", views.SuggestEditView.as_view(), name="suggest-edit"),
    path("submit/source/<slug:slug>/", views.AddSourceView.as_view(), name="add-source"),
    path("submit/preview/", views.preview, name="preview"),
    path("submit/check-urls/", views.check_urls, name="check-urls"),
    path("track/<tracking_token:token>/", views.TrackView.as_view(), name="track"),
    path("moderation/", views.QueueView.as_view(), name="queue"),
    path("moderation/<int:pk>/", views.ReviewView.as_view(), name="review"),
    path("moderation/stories/<slug:slug>/retract/", views.RetractView.as_view(), name="retract"),
]
