"""The curated catalogue in fixtures/ meets the minimums the project promises."""

import json
from collections import Counter
from pathlib import Path

import pytest

from apps.catalog.links import canonicalize_url, parse_upstream_url
from apps.catalog.storyfiles.parsing import Catalogue, load_catalogue
from tests.conftest import REPO_FIXTURES

REFERENCE = Path(__file__).parent / "data" / "reference-list-2020.json"


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    loaded = load_catalogue(REPO_FIXTURES)
    assert [str(p) for p in loaded.problems] == []
    return loaded


def test_story_counts(catalogue: Catalogue) -> None:
    assert len(catalogue.stories) >= 80


@pytest.mark.parametrize(
    ("components", "minimum"),
    [
        ({"etcd"}, 5),
        ({"dns", "coredns", "kube-dns"}, 5),
        ({"cpu-throttling"}, 5),
        ({"leader-election"}, 5),
    ],
)
def test_focus_areas_have_enough_stories(
    catalogue: Catalogue, components: set[str], minimum: int
) -> None:
    count = sum(1 for story in catalogue.stories if components & set(story.components))
    assert count >= minimum


def test_every_area_has_stories(catalogue: Catalogue) -> None:
    area_of = {c.slug: c.area for c in catalogue.taxonomy.components}
    per_area = Counter(
        area for story in catalogue.stories for area in {area_of[c] for c in story.components}
    )
    assert {a.slug for a in catalogue.taxonomy.areas} - set(per_area) == set()


def test_every_story_has_a_component_a_source_and_a_summary(catalogue: Catalogue) -> None:
    for story in catalogue.stories:
        assert story.components, story.slug
        assert story.sources, story.slug
        assert story.summary.strip(), story.slug


def test_upstream_links(catalogue: Catalogue) -> None:
    urls = {link.url for story in catalogue.stories for link in story.upstream}
    assert len(urls) >= 60
    for url in urls:
        ref = parse_upstream_url(url)
        assert ref.owner and ref.repo and ref.number > 0
    notes = [link.note for story in catalogue.stories for link in story.upstream]
    assert all(notes), "every upstream link carries a note"


def test_mitigations(catalogue: Catalogue) -> None:
    assert len(catalogue.mitigations) >= 20
    linked = {m.slug for story in catalogue.stories for m in story.mitigations}
    assert {m.slug for m in catalogue.mitigations} - linked == set()
    for mitigation in catalogue.mitigations:
        assert mitigation.links, mitigation.slug
        assert "```" in mitigation.body, f"{mitigation.slug} shows concrete configuration"


def test_every_component_has_a_description(catalogue: Catalogue) -> None:
    for component in catalogue.taxonomy.components:
        assert component.description, component.slug


def _reference() -> list[dict]:  # type: ignore[type-arg]
    return json.loads(REFERENCE.read_text(encoding="utf-8"))["stories"]


def test_reference_stories_are_all_present(catalogue: Catalogue) -> None:
    ours = {canonicalize_url(s.url) for story in catalogue.stories for s in story.sources}
    missing = [item["url"] for item in _reference() if canonicalize_url(item["url"]) not in ours]
    assert missing == []


# Terms of the reference list that map to no slug on purpose: an alias for them tagged
# stories wrongly (nginx and HAProxy are not always the application's fault, Consul is
# not always a service mesh, "nodes" says nothing).
UNMAPPED_ON_PURPOSE = {"nodes", "nginx", "HAProxy", "Consul"}


def test_every_reference_term_maps_to_a_slug(catalogue: Catalogue) -> None:
    taxonomy = catalogue.taxonomy
    unmapped = set()
    for item in _reference():
        for term in item["involved_terms_raw"] + item["components"]:
            if not (
                taxonomy.component_for(term)
                or taxonomy.platform_for(term)
                or taxonomy.impact_for(term)
            ):
                unmapped.add(term)
        unmapped.update(term for term in item["platforms"] if not taxonomy.platform_for(term))
    assert unmapped == UNMAPPED_ON_PURPOSE


@pytest.mark.parametrize(
    ("term", "component"),
    [
        ("NodeLocal DNSCache", "coredns"),
        ("AWS spot instances", "spot-instances"),
        ("Consul Connect", "service-mesh"),
        ("cert-manager", "certificates"),
        ("ACME", "certificates"),
        ("Argo CD", "gitops"),
        ("Flux", "gitops"),
        ("PodDisruptionBudget", "pod-disruption"),
        ("NetworkPolicy", "network-policies"),
        ("EKS AMI", "node-images"),
        ("RBAC", "security"),
        ("custom controller", "operators"),
    ],
)
def test_aliases_tag_the_right_component(catalogue: Catalogue, term: str, component: str) -> None:
    assert catalogue.taxonomy.component_for(term) == component


@pytest.mark.parametrize("term", ["nodes", "webhook", "probe", "Consul", "nginx", "HAProxy"])
def test_generic_terms_tag_no_component(catalogue: Catalogue, term: str) -> None:
    assert catalogue.taxonomy.component_for(term) is None


def test_every_platform_says_who_ran_the_control_plane(catalogue: Catalogue) -> None:
    kinds = {p.slug: p.kind for p in catalogue.taxonomy.platforms}
    assert kinds["eks"] == kinds["gke"] == kinds["aks"] == kinds["rackspace"] == "managed"
    assert kinds["on-prem"] == "self-managed"
    assert {"openstack", "hetzner", "rackspace"} <= set(kinds)


def test_every_alias_maps_to_its_own_component(catalogue: Catalogue) -> None:
    for component in catalogue.taxonomy.components:
        for alias in component.aliases:
            assert catalogue.taxonomy.component_for(alias) == component.slug, alias


def test_contributing_example_is_the_real_story_file() -> None:
    """CONTRIBUTING.md shows a real file's front matter, with comments; it must not drift."""
    from apps.catalog.storyfiles.parsing import split_front_matter

    guide = (REPO_FIXTURES.parent / "CONTRIBUTING.md").read_text(encoding="utf-8")
    start = guide.index("```markdown\n---\ntitle: Total DNS outage") + len("```markdown\n")
    example, _ = split_front_matter(guide[start : guide.index("```", start)].encode())
    real, _ = split_front_matter(
        (REPO_FIXTURES / "stories" / "2019-zalando-total-dns-outage.md").read_bytes()
    )
    assert example == real
