"""The deployment files, checked without Docker or a cluster.

The Compose file against the Compose Specification's JSON schema (as shipped by
check-jsonschema), the Kubernetes manifests against the Kubernetes OpenAPI schemas (as shipped
by kubernetes-validate), the Dockerfile read as text; then what each must say: probes,
replicas, no secret written down. `docker compose config`, `kubectl kustomize` and hadolint
run too when they are on the machine.
"""

from __future__ import annotations

import json
import os
import re
import runpy
import shlex
import shutil
import subprocess
import sys
import tomllib
import zipfile
from importlib.resources import files
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
COMPOSE_FILE = DEPLOY / "compose.yaml"
DOCKERFILE = DEPLOY / "Dockerfile"

# The oldest Kubernetes the manifests are written for, and the newest the validator knows.
K8S_VERSIONS = ("1.30", kubernetes_validate.latest_version())
# In deploy/k8s but deliberately left out of kustomization.yaml.
NOT_IN_KUSTOMIZATION = {"secret.example.yaml", "web-hpa.yaml"}
APP_SERVICES = ("migrate", "web", "worker", "scheduler")
SECRET_NAME = re.compile(r"SECRET|PASSWORD|TOKEN|_KEY$|CREDENTIAL", re.IGNORECASE)
# `${NAME}`, `${NAME:?message}` or `${NAME:-}`: from the environment, no value written here.
INTERPOLATED = re.compile(r"^\$\{[A-Z0-9_]+(?::\?[^}]*|:-)?\}$")
COMPILERS = re.compile(r"\b(gcc|g\+\+|clang|build-essential|make|cc|libc6-dev)\b")


# --- Compose ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def test_the_compose_file_follows_the_compose_specification(compose):
    schema_file = files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json"
    schema = json.loads(schema_file.read_text())
    validator_class = jsonschema.validators.validator_for(schema)
    validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)

    errors = [
        f"{'.'.join(map(str, error.absolute_path)) or '(top)'}: {error.message}"
        for error in validator.iter_errors(compose)
    ]

    assert errors == []
    # The schema is no pushover: a misspelt key is refused.
    broken = {**compose, "services": {**compose["services"], "web": {"imagee": "pairwise"}}}
    assert not validator.is_valid(broken)


def _docker_compose() -> list[str] | None:
    """`docker compose` (the plugin) or a standalone `docker-compose` of v2 or later."""
    candidates = []
    if shutil.which("docker"):
        candidates.append(["docker", "compose"])
    if shutil.which("docker-compose"):
        candidates.append(["docker-compose"])
    for command in candidates:
        try:
            result = subprocess.run(
                [*command, "version", "--short"], capture_output=True, text=True, timeout=30
            )
        except (OSError, subprocess.TimeoutExpired):
            continue
        version = result.stdout.strip().lstrip("v")
        if result.returncode == 0 and version[:1].isdigit() and int(version.split(".")[0]) >= 2:
            return command
    return None


def test_docker_compose_accepts_the_file(tmp_path):
    command = _docker_compose()
    if command is None:
        pytest.skip("neither `docker compose` nor docker-compose v2 is installed here")
    empty_env_file = tmp_path / "empty.env"  # not deploy/.env, whatever it holds
    empty_env_file.write_text("")
    env = {
        **os.environ,
        "SECRET_KEY": "test-only-" + "k" * 40,
        "PAIRWISE_ENCRYPTION_KEYS": "test-only-key",
        "POSTGRES_PASSWORD": "test-only-password",
    }
    result = subprocess.run(
        [*command, "--env-file", str(empty_env_file), "-f", str(COMPOSE_FILE), "config", "-q"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


def test_docker_compose_refuses_to_start_without_the_secrets(tmp_path):
    command = _docker_compose()
    if command is None:
        pytest.skip("neither `docker compose` nor docker-compose v2 is installed here")
    empty_env_file = tmp_path / "empty.env"
    empty_env_file.write_text("")
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "POSTGRES_PASSWORD")}
    result = subprocess.run(
        [*command, "--env-file", str(empty_env_file), "-f", str(COMPOSE_FILE), "config", "-q"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode != 0
    assert "set SECRET_KEY" in result.stderr


def _environment(service: dict[str, Any]) -> dict[str, str]:
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        environment = dict(item.split("=", 1) for item in environment)
    return {name: "" if value is None else str(value) for name, value in environment.items()}


def test_no_secret_is_written_in_the_compose_file(compose):
    for name, service in compose["services"].items():
        for key, value in _environment(service).items():
            if SECRET_NAME.search(key):
                assert INTERPOLATED.match(value), f"{name}: {key} must come from the environment"
            for password in re.findall(r"://[^:/@]*:([^@]*)@", value):
                assert INTERPOLATED.match(password), f"{name}: {key} holds a literal password"


def test_every_application_service_runs_the_image_in_production(compose):
    services = compose["services"]
    images = {services[name]["image"] for name in APP_SERVICES}
    assert len(images) == 1
    for name in APP_SERVICES:
        service = services[name]
        assert service["build"]["dockerfile"] == "deploy/Dockerfile"
        assert (COMPOSE_FILE.parent / service["build"]["context"]).resolve() == ROOT
        environment = _environment(service)
        assert environment["PAIRWISE_ENV"] == "production"
        assert environment["DATABASE_URL"].startswith("postgresql://")
        assert "@postgres:5432/" in environment["DATABASE_URL"]
        assert environment["REDIS_URL"].startswith("redis://redis:6379/")
        assert service["read_only"] is True


def test_the_web_app_waits_for_the_migration_and_reports_readiness(compose):
    web = compose["services"]["web"]

    assert web["command"] == ["gunicorn", "-c", "deploy/gunicorn.conf.py", "service.wsgi:app"]
    assert web["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert web["depends_on"]["redis"]["condition"] == "service_healthy"
    test = web["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"]
    assert "/readyz" in test[3]
    compile(test[3], "healthcheck", "exec")
    assert any(str(port).endswith(":8000") for port in web["ports"])


def test_the_migration_runs_once_and_the_clock_once(compose):
    services = compose["services"]

    assert services["migrate"]["command"] == ["pairwise", "db", "upgrade"]
    assert services["migrate"]["restart"] == "no"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["worker"]["command"] == ["pairwise", "worker", "--no-clock"]
    assert services["worker"]["deploy"]["replicas"] == 3
    assert services["scheduler"]["command"] == ["pairwise", "scheduler"]
    assert services["scheduler"]["deploy"]["replicas"] == 1
    for name in ("worker", "scheduler"):
        condition = services[name]["depends_on"]["migrate"]["condition"]
        assert condition == "service_completed_successfully"


def test_postgres_and_redis_keep_their_data_and_report_health(compose):
    postgres, redis = compose["services"]["postgres"], compose["services"]["redis"]

    assert postgres["image"].startswith("postgres:16")
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    assert redis["image"].startswith("redis:7")
    assert redis["command"][1:3] == ["--appendonly", "yes"]
    assert "ping" in redis["healthcheck"]["test"]
    for service, target in ((postgres, "/var/lib/postgresql/data"), (redis, "/data")):
        volume = next(v for v in service["volumes"] if v.endswith(f":{target}"))
        assert volume.split(":")[0] in compose["volumes"]


def test_the_env_example_names_every_variable_the_compose_file_requires():
    required = set(re.findall(r"\$\{([A-Z0-9_]+):\?", COMPOSE_FILE.read_text()))
    example = {}
    for line in (DEPLOY / ".env.example").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            example[name] = value

    assert required == {"SECRET_KEY", "PAIRWISE_ENCRYPTION_KEYS", "POSTGRES_PASSWORD"}
    assert required <= example.keys()
    assert all(example[name] == "" for name in required), "the example holds no secret"
    assert example["SMTP_PASSWORD"] == ""


# --- Kubernetes ---------------------------------------------------------------------------


def _documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


MANIFESTS = sorted(p.name for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")


@pytest.fixture(scope="module")
def kustomization() -> dict[str, Any]:
    return yaml.safe_load((K8S / "kustomization.yaml").read_text())


@pytest.fixture(scope="module")
def resources() -> dict[tuple[str, str], dict[str, Any]]:
    """What kustomization.yaml applies, by (kind, name)."""
    listed = yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"]
    found = {}
    for name in listed:
        for doc in _documents(K8S / name):
            found[(doc["kind"], doc["metadata"]["name"])] = doc
    return found


@pytest.mark.parametrize("version", K8S_VERSIONS)
@pytest.mark.parametrize("manifest", MANIFESTS)
def test_every_manifest_follows_the_kubernetes_schema(manifest, version):
    for document in _documents(K8S / manifest):
        try:
            kubernetes_validate.validate(document, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            where = ".".join(map(str, error.path))
            pytest.fail(f"{manifest}: {document['kind']} {where}: {error.message}")


def test_the_validator_refuses_a_misspelt_field():
    web = _documents(K8S / "web-deployment.yaml")[0]
    container = web["spec"]["template"]["spec"]["containers"][0]
    container["readinesProbe"] = container.pop("readinessProbe")

    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(web, K8S_VERSIONS[0], strict=True)


def test_the_kustomization_lists_every_manifest_but_the_templates(kustomization, resources):
    assert kustomization["namespace"] == "pairwise"
    assert set(kustomization["resources"]) == set(MANIFESTS) - NOT_IN_KUSTOMIZATION
    assert [image["name"] for image in kustomization["images"]] == ["pairwise"]
    # No secret is applied from the repository: neither a Secret nor a generated one.
    assert not [key for key in resources if key[0] == "Secret"]
    assert "secretGenerator" not in kustomization


def test_the_secret_template_holds_placeholders_only():
    (secret,) = _documents(K8S / "secret.example.yaml")

    assert secret["kind"] == "Secret"
    assert {"SECRET_KEY", "PAIRWISE_ENCRYPTION_KEYS", "DATABASE_URL", "REDIS_URL"} <= secret[
        "stringData"
    ].keys()
    for key, value in secret["stringData"].items():
        assert "REPLACE" in value, f"{key} looks like a real value"
    assert "kubectl" in (K8S / "secret.example.yaml").read_text()


def _pod(resource: dict[str, Any]) -> dict[str, Any]:
    return resource["spec"]["template"]["spec"]


def _workloads(resources):
    return {key: r for key, r in resources.items() if key[0] in ("Deployment", "Job")}


def test_web_is_probed_for_readiness_and_liveness(resources):
    web = resources[("Deployment", "web")]
    (container,) = _pod(web)["containers"]

    assert web["spec"]["replicas"] == 2
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["args"] == ["gunicorn", "-c", "deploy/gunicorn.conf.py", "service.wsgi:app"]
    assert container["ports"][0]["containerPort"] == 8000


def test_every_pod_runs_as_non_root_on_a_read_only_root_filesystem(resources):
    for (_kind, name), workload in _workloads(resources).items():
        pod = _pod(workload)
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["runAsUser"] == 10001, name
        for container in pod["containers"]:
            context = container["securityContext"]
            assert context["runAsNonRoot"] is True, name
            assert context["readOnlyRootFilesystem"] is True, name
            assert context["allowPrivilegeEscalation"] is False, name
            assert context["capabilities"]["drop"] == ["ALL"], name
            assert {"requests", "limits"} <= container["resources"].keys(), name
            mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
            volumes = {v["name"]: v for v in pod["volumes"]}
            assert "emptyDir" in volumes[mounts["/tmp"]], f"{name}: /tmp must be writable"
            assert container["image"] == "pairwise", name
            sources = [next(iter(source.values()))["name"] for source in container["envFrom"]]
            assert sources == ["pairwise-config", "pairwise-secrets"], name


def test_workers_scale_out_and_the_scheduler_stays_alone(resources):
    worker = resources[("Deployment", "worker")]
    scheduler = resources[("Deployment", "scheduler")]

    assert worker["spec"]["replicas"] == 3
    assert _pod(worker)["containers"][0]["args"] == ["pairwise", "worker", "--no-clock"]
    assert scheduler["spec"]["replicas"] == 1
    assert scheduler["spec"]["strategy"]["type"] == "Recreate"
    assert _pod(scheduler)["containers"][0]["args"] == ["pairwise", "scheduler"]


def test_the_migration_job_can_be_applied_on_its_own(resources):
    job = resources[("Job", "migrate")]
    selected = [
        key
        for key, resource in resources.items()
        if resource["metadata"]["labels"].get("app.kubernetes.io/component") == "migrate"
    ]

    assert _pod(job)["containers"][0]["args"] == ["pairwise", "db", "upgrade"]
    assert _pod(job)["restartPolicy"] == "Never"
    # `kubectl apply -k deploy/k8s -l app.kubernetes.io/component=migrate` picks it alone.
    assert selected == [("Job", "migrate")]
    assert "once per release" in (K8S / "migrate-job.yaml").read_text().lower()


def test_the_service_the_budget_and_the_autoscaler_point_at_web(resources):
    web_labels = resources[("Deployment", "web")]["spec"]["template"]["metadata"]["labels"]
    service = resources[("Service", "web")]
    budget = resources[("PodDisruptionBudget", "web")]
    (autoscaler,) = _documents(K8S / "web-hpa.yaml")

    assert service["spec"]["selector"].items() <= web_labels.items()
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    assert budget["spec"]["selector"]["matchLabels"].items() <= web_labels.items()
    assert autoscaler["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "web",
    }


def test_the_configmap_holds_no_secret(resources):
    config = resources[("ConfigMap", "pairwise-config")]["data"]

    assert config["PAIRWISE_ENV"] == "production"
    assert not [key for key in config if SECRET_NAME.search(key)]
    assert not {"DATABASE_URL", "REDIS_URL"} & config.keys()


def test_kustomize_builds_the_manifests():
    if not shutil.which("kubectl"):
        pytest.skip("kubectl is not installed here")
    result = subprocess.run(
        ["kubectl", "kustomize", str(K8S)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    built = [doc for doc in yaml.safe_load_all(result.stdout) if doc]
    images = {
        container["image"]
        for doc in built
        if doc["kind"] in ("Deployment", "Job")
        for container in _pod(doc)["containers"]
    }
    assert len(images) == 1 and images != {"pairwise"}
    for doc in built:
        if doc["kind"] != "Namespace":
            assert doc["metadata"]["namespace"] == "pairwise"
        kubernetes_validate.validate(doc, K8S_VERSIONS[0], strict=True)


# --- Dockerfile ---------------------------------------------------------------------------


def _instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    found: list[tuple[str, str]] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = pending + line
        pending = ""
        instruction, _, arguments = line.partition(" ")
        found.append((instruction.upper(), arguments.strip()))
    return found


@pytest.fixture(scope="module")
def stages() -> list[list[tuple[str, str]]]:
    stages: list[list[tuple[str, str]]] = []
    for instruction, arguments in _instructions(DOCKERFILE.read_text()):
        if instruction == "FROM":
            stages.append([])
        if stages:
            stages[-1].append((instruction, arguments))
    return stages


def _all(stage, instruction):
    return [arguments for name, arguments in stage if name == instruction]


def test_the_image_is_built_in_two_stages(stages):
    assert len(stages) >= 2
    builder, final = stages[0], stages[-1]
    assert " AS " in _all(builder, "FROM")[0].upper()
    assert any("--from=builder" in arguments for arguments in _all(final, "COPY"))
    assert any("pip install ." in arguments for arguments in _all(builder, "RUN"))


def test_the_final_stage_runs_as_a_non_root_user_without_compilers(stages):
    final = stages[-1]
    users = _all(final, "USER")

    assert users, "the final stage sets no USER"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0")
    assert user == "10001"
    for arguments in _all(final, "RUN"):
        assert not COMPILERS.search(arguments), arguments


def test_the_final_stage_is_configured_for_production(stages):
    final = stages[-1]
    environment = " ".join(_all(final, "ENV"))
    for setting in (
        "PAIRWISE_ENV=production",
        "PYTHONDONTWRITEBYTECODE=1",
        "PYTHONUNBUFFERED=1",
        "PROMETHEUS_MULTIPROC_DIR=/tmp/pairwise-metrics",
    ):
        assert setting in environment
    assert _all(final, "EXPOSE") == ["8000"]
    assert json.loads(_all(final, "CMD")[-1]) == [
        "gunicorn",
        "-c",
        "deploy/gunicorn.conf.py",
        "service.wsgi:app",
    ]
    assert any("deploy/gunicorn.conf.py" in arguments for arguments in _all(final, "COPY"))


def test_the_healthcheck_asks_healthz_with_python(stages):
    (healthcheck,) = _all(stages[-1], "HEALTHCHECK")

    command = json.loads(healthcheck.split(" CMD ", 1)[1])

    assert command[:2] == ["python", "-c"]
    assert "/healthz" in command[2]
    compile(command[2], "HEALTHCHECK", "exec")
    assert not re.search(r"\b(curl|wget)\b", healthcheck)


def test_nothing_is_added_from_a_url():
    for instruction, arguments in _instructions(DOCKERFILE.read_text()):
        if instruction == "ADD":
            assert not re.search(r"\b(https?|ftp)://|git@", arguments), arguments


def test_what_the_image_copies_exists_and_is_not_ignored(stages):
    ignored = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    for stage in stages:
        for arguments in _all(stage, "COPY"):
            if "--from=" in arguments:
                continue
            sources = [word for word in shlex.split(arguments) if not word.startswith("--")][:-1]
            for source in sources:
                assert (ROOT / source).exists(), source
                assert source.split("/")[0] not in ignored, f"{source} is in .dockerignore"
    assert {".venv", "instance", ".git", "tests"} <= ignored


def test_the_image_copies_every_package_pyproject_names(stages):
    include = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    copied = " ".join(_all(stages[0], "COPY"))
    for pattern in include["packages"]["find"]["include"]:
        assert pattern.rstrip("*") in copied


def test_hadolint_finds_nothing():
    if not shutil.which("hadolint"):
        pytest.skip("hadolint is not installed here")
    result = subprocess.run(
        ["hadolint", str(DOCKERFILE)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_entrypoint_makes_the_metrics_directory_then_runs_the_command(tmp_path):
    entrypoint = DEPLOY / "docker-entrypoint.sh"
    directory = tmp_path / "metrics"

    result = subprocess.run(
        ["sh", str(entrypoint), "sh", "-c", 'test -d "$PROMETHEUS_MULTIPROC_DIR" && echo $0', "ok"],
        env={**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory)},
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
    assert os.access(entrypoint, os.X_OK)


# --- gunicorn -----------------------------------------------------------------------------


def _gunicorn_settings(monkeypatch, directory: Path | None) -> dict[str, Any]:
    if directory is None:
        monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    else:
        monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(directory))
    return runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))


def test_gunicorn_accepts_its_settings(monkeypatch, tmp_path):
    from gunicorn.config import Config

    settings = _gunicorn_settings(monkeypatch, tmp_path / "metrics")
    config = Config()
    for name, value in settings.items():
        if name in config.settings:
            config.set(name, value)

    assert config.preload_app is True
    assert config.bind == ["0.0.0.0:8000"]
    assert config.on_starting is settings["on_starting"]
    assert config.child_exit is settings["child_exit"]
    assert (tmp_path / "metrics").is_dir(), "made before the app is preloaded"


def test_gunicorn_starts_with_an_empty_metrics_directory(monkeypatch, tmp_path):
    directory = tmp_path / "metrics"
    (directory / "old").mkdir(parents=True)
    (directory / "counter_123.db").write_bytes(b"stale")
    (directory / "old" / "x.db").write_bytes(b"stale")
    settings = _gunicorn_settings(monkeypatch, directory)

    settings["on_starting"](server=None)

    assert directory.is_dir()
    assert list(directory.iterdir()) == []


def test_a_dead_workers_live_gauges_are_dropped(monkeypatch, tmp_path):
    directory = tmp_path / "metrics"
    directory.mkdir()
    (directory / "gauge_livesum_4242.db").write_bytes(b"")
    (directory / "gauge_livesum_4343.db").write_bytes(b"")
    (directory / "counter_4242.db").write_bytes(b"")
    settings = _gunicorn_settings(monkeypatch, directory)

    settings["child_exit"](server=None, worker=type("Worker", (), {"pid": 4242})())

    assert sorted(p.name for p in directory.iterdir()) == [
        "counter_4242.db",
        "gauge_livesum_4343.db",
    ]


def test_the_gunicorn_settings_work_without_prometheus_client(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "prometheus_client", None)  # import fails
    settings = _gunicorn_settings(monkeypatch, tmp_path)

    assert settings["prometheus_multiprocess"] is None
    settings["child_exit"](server=None, worker=type("Worker", (), {"pid": 1})())
    settings["on_starting"](server=None)


# --- What the image installs -------------------------------------------------------------


def test_package_data_covers_every_file_the_service_reads():
    """`pip install .` (not editable) in the image must bring templates, static files, the
    migrations and the survey definitions along."""
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    packaged: set[Path] = set()
    for package, patterns in setuptools["package-data"].items():
        for pattern in patterns:
            packaged |= {p for p in (ROOT / package).glob(pattern) if p.is_file()}
    data_files = {
        path
        for top in ("service", "surveys", "workflows")
        for path in (ROOT / top).rglob("*")
        if path.is_file() and path.suffix not in (".py", ".pyc") and "__pycache__" not in path.parts
    }

    assert data_files, "no data files found: is the layout still service/ and surveys/?"
    assert sorted(str(p.relative_to(ROOT)) for p in data_files - packaged) == []


@pytest.mark.slow
def test_the_built_wheel_holds_the_migrations_templates_and_surveys(tmp_path):
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for name in ("service", "workflows", "surveys"):
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), "."],
        cwd=source,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    (wheel,) = tmp_path.glob("pairwise-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())

    assert {"service/wsgi.py", "service/migrations/env.py", "service/migrations/alembic.ini"} <= (
        names
    )
    for version in (ROOT / "service/migrations/versions").glob("*.py"):
        assert f"service/migrations/versions/{version.name}" in names
    for definition in (ROOT / "surveys/definitions").glob("*.yaml"):
        assert f"surveys/definitions/{definition.name}" in names
    assert "service/templates/base.html" in names
    assert any(name.startswith("service/static/") for name in names)
    assert not [name for name in names if name.startswith(("tests/", "instance/"))]


# --- README -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "heading"),
    [("README.md", "## Configuration and deployment"), ("docs/operations/deploy.md", None)],
)
def test_the_deployment_docs_name_only_deployment_files_that_exist(document, heading):
    text = (ROOT / document).read_text()
    section = text.split(heading, 1)[1].split("\n## ", 1)[0] if heading else text
    # Files (with a suffix) and the two folders; not `deploy/web` (kubectl's deployment/web)
    # nor deploy/.env, which people make themselves.
    files = set(re.findall(r"\bdeploy/(?:[\w-]+/)*[\w-]*\.[\w.]*\w", section))
    mentioned = (files - {"deploy/.env"}) | set(
        re.findall(r"\bdeploy/(?:k8s|Dockerfile)\b", section)
    )

    assert {"deploy/Dockerfile", "deploy/compose.yaml", "deploy/k8s"} <= mentioned
    for path in mentioned:
        assert (ROOT / path).exists(), path
