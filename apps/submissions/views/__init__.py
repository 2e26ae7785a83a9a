"""HTML pages for submissions and moderation, split by who uses them."""

from apps.submissions.views.moderation import QueueView, RetractView, ReviewView
from apps.submissions.views.submit import (
    AddSourceView,
    CheckURLsView,
    PreviewView,
    SubmitStoryView,
    SuggestEditView,
)
from apps.submissions.views.track import TrackView

preview = PreviewView.as_view()
check_urls = CheckURLsView.as_view()

__all__ = [
    "AddSourceView",
    "QueueView",
    "RetractView",
    "ReviewView",
    "SubmitStoryView",
    "SuggestEditView",
    "TrackView",
    "check_urls",
    "preview",
]
