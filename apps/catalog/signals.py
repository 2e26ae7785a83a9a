"""Signals the catalogue sends, so other apps can follow it without the catalogue
knowing them."""

from django.dispatch import Signal

# Sent by `catalogue_import` with `catalogue` and `report`, inside its transaction, after
# the stories are written: a receiver raising ImportRefused undoes the whole import.
catalogue_imported = Signal()
