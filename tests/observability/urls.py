"""The site's URLs plus one view that sends a task, as views that enqueue work do."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from apps.core import outbox
from apps.linkcheck.tasks import check_source
from config.urls import urlpatterns as site_urlpatterns


def enqueue(request: HttpRequest, source_id: int) -> HttpResponse:
    outbox.enqueue(check_source, source_id)
    return HttpResponse("sent")


urlpatterns = [path("enqueue/<int:source_id>", enqueue), *site_urlpatterns]
