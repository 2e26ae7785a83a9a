"""Version strings as operators' tools print them, compared per product."""

import pytest

from apps.affected.versions import VersionError, parse_version


@pytest.mark.parametrize(
    ("product", "text", "release", "suffix"),
    [
        ("kubernetes", "v1.24.1", "1.24.1", ""),
        ("kubernetes", "1.24", "1.24", ""),
        ("kubernetes", "v1.27.4-eks-2d98532", "1.27.4", "eks-2d98532"),
        ("kubernetes", "v1.26.5-gke.1200", "1.26.5", "gke.1200"),
        ("kubernetes", "v1.24.1+k3s1", "1.24.1", "k3s1"),
        ("kubernetes", "v1.28.0-rc.1", "1.28.0rc1", ""),
        ("kubernetes", "v1.28.0-alpha.3", "1.28.0a3", ""),
        ("kubernetes", "v1.28.0-beta.0", "1.28.0b0", ""),
        ("linux-kernel", "5.4.0-1045-aws", "5.4.0", "1045-aws"),
        ("linux-kernel", "5.10.186-179.751.amzn2.x86_64", "5.10.186", "179.751.amzn2.x86_64"),
        ("linux-kernel", "4.19.0-0.bpo.8-amd64", "4.19.0", "0.bpo.8-amd64"),
        ("linux-kernel", "3.10.0-1160.el7.x86_64", "3.10.0", "1160.el7.x86_64"),
        ("linux-kernel", "6.1.0-rc3", "6.1.0rc3", ""),
        ("containerd", "containerd://1.6.19", "1.6.19", ""),
        ("cluster-autoscaler", "cluster-autoscaler-1.27.2", "1.27.2", ""),
        ("ingress-nginx", "controller-v1.9.4", "1.9.4", ""),
        ("aws-vpc-cni", "v1.12.0-eksbuild.1", "1.12.0", "eksbuild.1"),
        ("coredns", "CoreDNS-1.8.0", "1.8.0", ""),
        ("systemd", "249", "249", ""),
    ],
)
def test_reads_what_tools_print(product: str, text: str, release: str, suffix: str) -> None:
    parsed = parse_version(product, text)
    assert (parsed.release, parsed.suffix) == (release, suffix)


def test_pre_releases_come_before_the_release_and_padding_is_equal() -> None:
    def v(text: str):  # type: ignore[no-untyped-def]
        return parse_version("kubernetes", text).value

    assert v("v1.28.0-alpha.1") < v("v1.28.0-beta.0") < v("v1.28.0-rc.1") < v("v1.28.0")
    assert v("1.28") == v("1.28.0") == v("v1.28.0-eks-1234567")
    assert v("1.9.0") < v("1.10.0")


@pytest.mark.parametrize("text", ["", "latest", "abc", "v", "1.2.3junk", "x" * 101, "🙂"])
def test_unreadable_versions_say_why(text: str) -> None:
    with pytest.raises(VersionError) as error:
        parse_version("etcd", text)
    assert str(error.value)
