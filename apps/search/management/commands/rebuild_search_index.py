from typing import Any

from django.core.management.base import BaseCommand

from apps.search.indexing import index_stories


class Command(BaseCommand):
    help = "Rebuild the full-text search documents of every story."

    def handle(self, *args: Any, **options: Any) -> None:
        count = index_stories()
        self.stdout.write(self.style.SUCCESS(f"{count} stor(ies) indexed."))
