"""What the catalogue's writes refuse. Views and serializers word them for their readers."""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from apps.catalog.models import Story


class StoryVersionConflict(Exception):
    """Someone else changed the story since the caller read it."""

    def __init__(self, slug: str) -> None:
        super().__init__(slug)
        self.slug = slug


class StoryNotPublic(Exception):
    """The change needs a published story (only a published story can be retracted)."""

    def __init__(self, slug: str) -> None:
        super().__init__(slug)
        self.slug = slug


class SourceTaken(Exception):
    """A source URL already belongs to another story."""

    def __init__(self, url: str, story: "Story") -> None:
        super().__init__(url, story.slug)
        self.url = url
        self.story = story
