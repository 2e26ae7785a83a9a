"""Signals the catalogue sends, so other apps can follow it without the catalogue
knowing them. All are sent synchronously, inside the writer's transaction, so a receiver's
writes commit or roll back with the change."""

from django.dispatch import Signal

# Sent by `catalogue_import` with `catalogue` and `report`, inside its transaction, after
# the stories are written: a receiver raising ImportRefused undoes the whole import.
catalogue_imported = Signal()

# Sent with `story_ids` whenever the text a story is found by may have changed: stories
# created, edited or deleted (ids of deleted stories included), or the names of their
# components, mitigations or upstream issues changed. The search index follows it.
stories_changed = Signal()

# Sent with `story_ids` when stories were written with their sources and upstream issues
# (created, or rewritten from a whole record). Link checks and upstream syncs follow it.
story_links_written = Signal()
