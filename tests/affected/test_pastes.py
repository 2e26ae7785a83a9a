"""Each paste parser on real output, as posted in public upstream threads (cited per sample)."""

from pathlib import Path

from apps.affected.pastes import MAX_PASTE_LENGTH, parse_paste

SAMPLES = Path(__file__).parent / "samples"


def sample(name: str) -> str:
    return (SAMPLES / name).read_text(encoding="utf-8")


# kubernetes/kubernetes#53259, the first `kubectl version -o json` shown upstream.
KUBECTL_VERSION_JSON = sample("kubectl-version.json")

# oalders/is#34: kubectl could not reach a cluster, so there is no serverVersion.
KUBECTL_VERSION_NO_SERVER = sample("kubectl-version-no-server.txt")

# kubernetes/kubernetes#39427 (the client line; the server line is written in its format).
KUBECTL_VERSION_TEXT = sample("kubectl-version-plain.txt")

# kubernetes/kubernetes#46646: the sample output that introduced CONTAINER-RUNTIME.
NODES_WIDE = sample("nodes-wide.txt")

# kubernetes/kubernetes#57010: a runtime that did not report its version.
NODES_UNKNOWN_RUNTIME = sample("nodes-unknown-runtime.txt")

# opea-project/docs#355: plain `kubectl get node`, without -o wide.
NODES_PLAIN = sample("nodes-plain.txt")

# etcd-io/etcd#12882: `etcd --version && etcdctl version` in the v3.4.15 image.
ETCD_VERSION = sample("etcd-version.txt")


def test_kubectl_version_json_reads_the_server_version() -> None:
    paste = parse_paste(KUBECTL_VERSION_JSON)
    assert paste.versions == {"kubernetes": ["v1.9.0-alpha.1.487+550c3cab4fe267"]}
    assert paste.problems == []


def test_kubectl_version_without_a_server_says_so_and_names_the_leftover_line() -> None:
    paste = parse_paste(KUBECTL_VERSION_NO_SERVER)
    assert paste.versions == {}
    assert any("no serverVersion" in p for p in paste.problems)
    assert any("Line(s) 1 " in p for p in paste.problems)


def test_plain_kubectl_version() -> None:
    paste = parse_paste(KUBECTL_VERSION_TEXT)
    assert paste.versions == {"kubernetes": ["v1.4.6"]}
    assert paste.problems == []


def test_nodes_wide_reads_kubelet_kernel_and_runtime() -> None:
    paste = parse_paste(NODES_WIDE)
    assert paste.versions == {
        "kubelet": ["v1.6.4"],
        "linux-kernel": ["4.4.0-38-generic"],
        "docker": ["1.11.2"],
    }
    assert paste.problems == paste.notes == []


def test_nodes_with_an_unknown_runtime_version_keep_the_rest() -> None:
    paste = parse_paste(NODES_UNKNOWN_RUNTIME)
    assert paste.versions == {"kubelet": ["v1.8.4"], "linux-kernel": ["4.9.0-4-amd64"]}
    assert paste.problems and "docker://Unknown" in paste.problems[0]
    # Versions are compared, not counted: two nodes on one version give one entry.
    assert "docker" not in paste.versions


def test_nodes_without_wide_suggest_it() -> None:
    paste = parse_paste(NODES_PLAIN)
    assert paste.versions == {"kubelet": ["v1.29.6"]}
    assert paste.notes and "-o wide" in paste.notes[0]


def test_etcd_and_etcdctl_version() -> None:
    paste = parse_paste(ETCD_VERSION)
    assert paste.versions == {"etcd": ["3.4.15"]}
    assert paste.problems == []


def test_coredns_image_references_and_binary_version() -> None:
    for text, found in [
        ("registry.k8s.io/coredns/coredns:v1.10.1", "v1.10.1"),
        ("k8s.gcr.io/coredns:1.6.2", "1.6.2"),
        (
            "image: 602401143452.dkr.ecr.us-west-2.amazonaws.com/eks/coredns:v1.8.7-eksbuild.3",
            "v1.8.7-eksbuild.3",
        ),
        ("coredns/coredns:1.8.0", "1.8.0"),
        ("CoreDNS-1.8.0\nlinux/amd64, go1.15.3, 054c9ae", "1.8.0"),
    ]:
        paste = parse_paste(text)
        assert paste.versions == {"coredns": [found]}, text
        assert paste.problems == [], text


def test_several_outputs_in_one_paste() -> None:
    paste = parse_paste(
        KUBECTL_VERSION_JSON + NODES_WIDE + "\n" + ETCD_VERSION + "coredns/coredns:1.8.0\n"
    )
    assert set(paste.versions) == {
        "kubernetes",
        "kubelet",
        "linux-kernel",
        "docker",
        "etcd",
        "coredns",
    }
    assert paste.problems == []


def test_what_is_not_understood_is_named_by_line() -> None:
    paste = parse_paste("etcd Version: 3.5.2\nhello\n\nworld\n")
    assert paste.versions == {"etcd": ["3.5.2"]}
    assert paste.problems == [
        "Line(s) 2, 4 of the paste were not understood: expected the output of kubectl "
        "version, kubectl get nodes -o wide, etcd --version or a CoreDNS image."
    ]


def test_broken_json_and_oversized_pastes() -> None:
    assert "not valid JSON" in parse_paste('{"serverVersion": ').problems[0]
    assert parse_paste("x" * (MAX_PASTE_LENGTH + 1)).problems == [
        f"The paste is longer than {MAX_PASTE_LENGTH:,} characters."
    ]
    assert parse_paste("[1, 2]").problems
