"""Products we track and how their version strings compare.

Operators paste versions as their tools print them: `v1.27.4-eks-2d98532`,
`5.4.0-1045-aws`, `containerd://1.6.19`, `cluster-autoscaler-1.27.2`. Each string is
reduced to the upstream release it is built from (plus a pre-release tag, if any), and
comparison is left to `packaging.version.Version`, which orders `1.28.0a1 < 1.28.0rc1 <
1.28.0 = 1.28`. What was dropped (a distribution or build suffix) is kept as a caveat,
since a distribution may have backported a fix into an older-looking version.
"""

import re
from dataclasses import dataclass

from packaging.version import InvalidVersion, Version


@dataclass(frozen=True)
class Product:
    slug: str
    name: str
    # Distribution kernels keep an old version number while backporting fixes.
    backports: bool = False


PRODUCTS: dict[str, Product] = {
    product.slug: product
    for product in (
        Product("kubernetes", "Kubernetes"),
        Product("kubelet", "kubelet (node version)"),
        Product("etcd", "etcd"),
        Product("coredns", "CoreDNS"),
        Product("containerd", "containerd"),
        Product("cri-o", "CRI-O"),
        Product("runc", "runc"),
        Product("docker", "Docker Engine"),
        Product("linux-kernel", "Linux kernel", backports=True),
        Product("systemd", "systemd", backports=True),
        Product("cilium", "Cilium"),
        Product("calico", "Calico"),
        Product("weave-net", "Weave Net"),
        Product("ingress-nginx", "ingress-nginx"),
        Product("haproxy-ingress", "HAProxy Ingress"),
        Product("cluster-autoscaler", "Cluster Autoscaler"),
        Product("aws-vpc-cni", "Amazon VPC CNI"),
        Product("linkerd", "Linkerd"),
    )
}

# Components whose code runs on the nodes: their version is the kubelet's, when known.
NODE_COMPONENTS = frozenset({"kubelet", "kube-proxy"})

_VERSION_RE = re.compile(
    r"""
    ^(?:[a-z][a-z0-9-]*?[-:/]+)?     # a product prefix: cluster-autoscaler-, containerd://
    v?(?P<release>\d+(?:\.\d+){0,4})(?!\.?\d)  # every dotted number, no backtracking
    (?:[-.~]?(?P<pre>alpha|beta|rc|a|b)[.-]?(?P<pre_n>\d+))?
    (?P<suffix>[-+._~].*)?$
    """,
    re.VERBOSE | re.IGNORECASE,
)
_PRE = {"alpha": "a", "a": "a", "beta": "b", "b": "b", "rc": "rc"}
MAX_VERSION_LENGTH = 200
# What the API accepts, as a plain pattern the OpenAPI schema can carry: every string
# it matches is readable by `parse_version` (the tests hold both to that).
_ITEM = r"(?:[A-Za-z][A-Za-z0-9-]*[-:/]+)?[vV]?[0-9]+(?:\.[0-9]+){0,4}(?:[-+_~][0-9A-Za-z.+_~-]*)?"
VERSION_LIST_PATTERN = rf"^{_ITEM}(?:,{_ITEM})*$"
VERSION_LIST_RE = re.compile(VERSION_LIST_PATTERN)


class VersionError(ValueError):
    """A version string we cannot read, with the reason in words."""


@dataclass(frozen=True)
class ParsedVersion:
    text: str
    value: Version
    suffix: str

    @property
    def release(self) -> str:
        """The upstream release this version is compared as, e.g. `5.4.0` or `1.28.0rc1`."""
        return str(self.value)


def parse_version(product: str, text: str) -> ParsedVersion:
    """Read `text` as a version of `product`; raise VersionError saying why not."""
    text = text.strip()
    if not text:
        raise VersionError("the version is empty")
    if len(text) > MAX_VERSION_LENGTH:
        raise VersionError(f"the version is longer than {MAX_VERSION_LENGTH} characters")
    match = _VERSION_RE.match(text)
    if match is None:
        raise VersionError(f"{text!r} is not a {PRODUCTS[product].name} version")
    candidate = match["release"]
    if match["pre"]:
        candidate += f"{_PRE[match['pre'].lower()]}{match['pre_n']}"
    try:
        value = Version(candidate)
    except InvalidVersion as exc:  # pragma: no cover - the pattern only lets valid ones through
        raise VersionError(f"{text!r} is not a version") from exc
    return ParsedVersion(text=text, value=value, suffix=(match["suffix"] or "").lstrip("-+._~"))


def is_version(product: str, text: str) -> bool:
    try:
        parse_version(product, text)
    except VersionError:
        return False
    return True
