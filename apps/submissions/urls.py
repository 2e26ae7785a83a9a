from django.urls import path

from apps.submissions import views

app_name = "submissions"

urlpatterns = [
    path("submit/", views.SubmitStoryView.as_view(), name="submit"),
    path("submit/edit/<slug:slug>/", views.SuggestEditView.as_view(), name="suggest-edit"),
    path("submit/source/<slug:slug>/", views.AddSourceView.as_view(), name="add-source"),
    path("submit/preview/", views.preview, name="preview"),
    path("submit/check-urls/", views.check_urls, name="check-urls"),
    path("track/<str:token>/", views.TrackView.as_view(), name="track"),
    path("moderation/", views.QueueView.as_view(), name="queue"),
    path("moderation/<int:pk>/", views.ReviewView.as_view(), name="review"),
    path("moderation/stories/<slug:slug>/retract/", views.RetractView.as_view(), name="retract"),
]
