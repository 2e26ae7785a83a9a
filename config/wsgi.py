import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()

# Load every view now, then move what start-up built (modules, URL patterns, settings) out of
# the garbage collector's reach: it lives as long as the worker, and a full collection that
# walked it cost a request 0.1-0.4 s at 100k stories (bench/run pages p99).
get_resolver().url_patterns  # noqa: B018 - imports the views
gc.freeze()
