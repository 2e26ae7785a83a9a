"""Range evaluation in the OSV model: the edges an operator upgrading would care about."""

import pytest

from apps.affected.ranges import Range, Verdict, assess, fixed_versions
from apps.affected.versions import parse_version


def version(text: str, product: str = "kubernetes"):  # type: ignore[no-untyped-def]
    return parse_version(product, text)


def verdict(item: Range, text: str) -> Verdict:
    return item.verdict(version(text, item.product))


def test_a_version_exactly_at_fixed_is_fixed_and_the_one_before_is_affected() -> None:
    item = Range("etcd", introduced="3.5.0", fixed="3.5.3")
    assert verdict(item, "3.5.3") is Verdict.FIXED
    assert verdict(item, "3.5.2") is Verdict.AFFECTED
    assert verdict(item, "3.5.0") is Verdict.AFFECTED
    assert verdict(item, "3.4.18") is Verdict.BEFORE


def test_last_affected_includes_that_version_only() -> None:
    item = Range("coredns", introduced="1.6.0", last_affected="1.6.9")
    assert verdict(item, "1.6.9") is Verdict.AFFECTED
    assert verdict(item, "1.6.10") is Verdict.FIXED
    assert verdict(item, "1.5.2") is Verdict.BEFORE


def test_introduced_zero_means_every_earlier_version() -> None:
    item = Range("linux-kernel", introduced="0", fixed="5.4")
    assert verdict(item, "3.10.0-1160.el7.x86_64") is Verdict.AFFECTED
    assert verdict(item, "5.4.0-1045-aws") is Verdict.FIXED


def test_a_range_without_an_end_is_affected_from_introduced_on() -> None:
    item = Range("kubernetes", introduced="1.24.0")
    assert verdict(item, "v1.30.1") is Verdict.AFFECTED
    assert verdict(item, "v1.23.17") is Verdict.BEFORE


def test_pre_releases_of_the_fixed_version_are_still_affected() -> None:
    item = Range("kubernetes", introduced="0", fixed="1.28.0")
    assert verdict(item, "v1.28.0-rc.1") is Verdict.AFFECTED
    assert verdict(item, "v1.28.0-eks-1234567") is Verdict.FIXED


BACKPORTED = [
    Range("kubernetes", introduced="0", fixed="1.27.5"),
    Range("kubernetes", introduced="1.28.0", fixed="1.28.1"),
]


@pytest.mark.parametrize(
    ("given", "expected", "fixed_in"),
    [
        ("1.26.9", Verdict.AFFECTED, "1.27.5"),
        ("1.27.4", Verdict.AFFECTED, "1.27.5"),
        ("1.27.5", Verdict.FIXED, None),
        ("1.27.9", Verdict.FIXED, None),
        ("1.28.0", Verdict.AFFECTED, "1.28.1"),
        ("1.28.1", Verdict.FIXED, None),
        ("1.29.0", Verdict.FIXED, None),
    ],
)
def test_backports_fix_each_release_line(
    given: str, expected: Verdict, fixed_in: str | None
) -> None:
    result = assess(BACKPORTED, {"kubernetes": [version(given)]})
    assert result.verdict is expected
    if fixed_in:
        assert result.affected[0].range.fixed == fixed_in
    assert fixed_versions(BACKPORTED, "kubernetes") == ["1.27.5", "1.28.1"]


def test_any_affected_node_makes_the_issue_affected() -> None:
    nodes = {"kubelet": [version("v1.27.5"), version("v1.27.3")]}
    item = Range("kubernetes", component="kubelet", introduced="0", fixed="1.27.5")
    result = assess([item], nodes)
    assert result.verdict is Verdict.AFFECTED
    assert [m.version.text for m in result.affected] == ["v1.27.3"]
    assert [m.version.text for m in result.fixed] == ["v1.27.5"]


def test_node_components_use_the_node_version_and_fall_back_to_the_cluster() -> None:
    item = Range("kubernetes", component="kube-proxy", introduced="0", fixed="1.15.0")
    both = {"kubernetes": [version("1.16.0")], "kubelet": [version("1.14.2")]}
    assert assess([item], both).verdict is Verdict.AFFECTED
    assert assess([item], {"kubernetes": [version("1.16.0")]}).verdict is Verdict.FIXED
    apiserver = Range("kubernetes", component="kube-apiserver", introduced="0", fixed="1.15.0")
    assert assess([apiserver], both).verdict is Verdict.FIXED


def test_other_products_leave_the_issue_unchecked() -> None:
    result = assess(
        [Range("etcd", introduced="3.5.0", fixed="3.5.3")], {"kubernetes": [version("1.24.1")]}
    )
    assert result.verdict is None
    before = assess(
        [Range("etcd", introduced="3.5.0", fixed="3.5.3")], {"etcd": [version("3.4.1", "etcd")]}
    )
    assert before.verdict is Verdict.BEFORE


def test_ranges_describe_themselves_in_words() -> None:
    assert (
        Range("etcd", "3.5.0", fixed="3.5.3").describe()
        == "affects etcd from 3.5.0, fixed in 3.5.3"
    )
    assert (
        Range("linux-kernel", "0", fixed="5.4").describe()
        == "affects Linux kernel before 5.4, fixed in 5.4"
    )
    assert (
        Range("coredns", "1.6.0", last_affected="1.6.9").describe()
        == "affects CoreDNS from 1.6.0 to 1.6.9; no fixed version recorded"
    )
    assert (
        Range("kubernetes", "1.24.0", component="kubeadm").describe()
        == "affects Kubernetes (kubeadm) from 1.24.0 on; no fix known"
    )
