"""Upstream issues with ranges, each linked from a published and an unpublished story."""

from dataclasses import dataclass

import pytest

from apps.affected.models import VersionRange
from apps.catalog.models import Story, StoryMitigation, StoryUpstreamIssue, UpstreamIssue
from tests.factories import MitigationFactory, StoryFactory


@dataclass
class Bugs:
    etcd: UpstreamIssue
    kube_proxy: UpstreamIssue
    unknown: UpstreamIssue
    published: Story
    draft: Story
    retracted: Story


def issue(url: str, title: str) -> UpstreamIssue:
    owner, repo, _, number = url.removeprefix("https://github.com/").split("/")
    return UpstreamIssue.objects.create(
        url=url, tracker="github", owner=owner, repo=repo, number=int(number),
        kind="issue", title=title, state="closed",
    )  # fmt: skip


def link(story: Story, *issues: UpstreamIssue) -> None:
    for position, item in enumerate(issues):
        StoryUpstreamIssue.objects.create(story=story, upstream_issue=item, position=position)


@pytest.fixture
def bugs(db: None) -> Bugs:
    etcd = issue(
        "https://github.com/etcd-io/etcd/issues/13766", "Inconsistent revision after OOM kill"
    )
    kube_proxy = issue(
        "https://github.com/kubernetes/kubernetes/issues/74839", "Connection reset by peer"
    )
    unknown = issue("https://github.com/kubernetes/kubernetes/issues/1", "No ranges known")
    only_draft = issue(
        "https://github.com/kubernetes/kubernetes/issues/2", "Linked from a draft only"
    )
    VersionRange.objects.create(
        upstream_issue=etcd, product="etcd", introduced="3.5.0", fixed="3.5.3",
        evidence="https://github.com/etcd-io/etcd/pull/13914",
    )  # fmt: skip
    VersionRange.objects.create(
        upstream_issue=kube_proxy, product="kubernetes", component="kube-proxy", introduced="0",
        fixed="1.15.0", evidence="https://github.com/kubernetes/kubernetes/pull/74840",
    )  # fmt: skip
    VersionRange.objects.create(
        upstream_issue=only_draft, product="etcd", introduced="0", fixed="9.0.0",
        evidence="https://github.com/kubernetes/kubernetes/pull/3",
    )  # fmt: skip
    published = StoryFactory.create(title="Members diverged after a crash", slug="2022-shown-etcd")
    draft = StoryFactory.create(
        title="Secret draft", slug="2022-draft-etcd", status=Story.Status.DRAFT
    )
    retracted = StoryFactory.create(
        title="Retracted one", slug="2022-retracted", status=Story.Status.RETRACTED
    )
    link(published, etcd, kube_proxy, unknown)
    link(draft, etcd, only_draft)
    link(retracted, etcd)
    StoryMitigation.objects.create(
        story=published, mitigation=MitigationFactory.create(title="Upgrade canaries")
    )
    StoryMitigation.objects.create(
        story=draft, mitigation=MitigationFactory.create(title="Draft-only mitigation")
    )
    return Bugs(etcd, kube_proxy, unknown, published, draft, retracted)
