import datetime

import factory

from apps.catalog.models import (
    Component,
    ComponentArea,
    Mitigation,
    Organization,
    Platform,
    Source,
    Story,
    StoryOrigin,
    StoryStatus,
)


class ComponentAreaFactory(factory.django.DjangoModelFactory[ComponentArea]):
    class Meta:
        model = ComponentArea
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"area-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.title())


class ComponentFactory(factory.django.DjangoModelFactory[Component]):
    class Meta:
        model = Component
        django_get_or_create = ("slug",)

    area = factory.SubFactory(ComponentAreaFactory)
    slug = factory.Sequence(lambda n: f"component-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.replace("-", " ").title())


class PlatformFactory(factory.django.DjangoModelFactory[Platform]):
    class Meta:
        model = Platform
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"platform-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.upper())


class OrganizationFactory(factory.django.DjangoModelFactory[Organization]):
    class Meta:
        model = Organization
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Organization {n}")
    slug = factory.Sequence(lambda n: f"organization-{n}")


class MitigationFactory(factory.django.DjangoModelFactory[Mitigation]):
    class Meta:
        model = Mitigation

    slug = factory.Sequence(lambda n: f"mitigation-{n}")
    title = factory.Sequence(lambda n: f"Mitigation {n}")
    body = "Set the thing."


class StoryFactory(factory.django.DjangoModelFactory[Story]):
    class Meta:
        model = Story
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Story number {n}")
    slug = factory.Sequence(lambda n: f"2020-organization-story-{n}")
    organization = factory.SubFactory(OrganizationFactory)
    published_on = datetime.date(2020, 5, 1)
    date_precision = Story.DatePrecision.MONTH
    summary = "Something failed and the team learned from it."
    status = StoryStatus.PUBLISHED
    origin = StoryOrigin.FILE

    @factory.post_generation
    def components(self, create: bool, extracted: list[Component] | None, **kwargs: object) -> None:
        if create:
            self.components.set(extracted if extracted is not None else [ComponentFactory()])

    @factory.post_generation
    def sources(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create and extracted is None:
            SourceFactory(story=self)


class SourceFactory(factory.django.DjangoModelFactory[Source]):
    class Meta:
        model = Source

    story = factory.SubFactory(StoryFactory)
    url = factory.Sequence(lambda n: f"https://example.org/post-{n}")
    canonical_url = factory.LazyAttribute(lambda o: o.url)
    kind = Source.Kind.BLOG_POST
