"""Placeholder: the HTML views are being written."""

from django.http import HttpResponse
from django.views import View


class _Todo(View):
    def get(self, request, *args, **kwargs):  # type: ignore[no-untyped-def]
        return HttpResponse(status=501)


SubmitStoryView = SuggestEditView = AddSourceView = TrackView = QueueView = ReviewView = (
    RetractView
) = _Todo


def preview(request):  # type: ignore[no-untyped-def]
    return HttpResponse(status=501)


check_urls = preview
