"""Celery application. With no CELERY_BROKER_URL the settings make tasks run eagerly."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("kfs")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
