"""The deployment files: the hosted config, the Dockerfile (checked statically and by running
its CMD and HEALTHCHECK here; no Docker engine on this machine) and the host requirements."""

from __future__ import annotations

import json
import re
import subprocess
import tomllib

import pytest
from streamlit import config as st_config

from benchmarks.viewer import Viewer, run_async
from tests.conftest import ROOT, free_port, serve, wait_healthy

DOCKERFILE = (ROOT / "Dockerfile").read_text()
CONFIG = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())


def instructions(name: str) -> list[str]:
    """The arguments of every ``name`` instruction, continuation lines joined."""
    joined = DOCKERFILE.replace("\\\n", " ")
    return [line.split(None, 1)[1].strip() for line in joined.splitlines() if line.startswith(f"{name} ")]


def exec_form(text: str) -> list[str]:
    return json.loads(text)


def test_config_for_a_public_host():
    assert CONFIG["client"]["showSidebarNavigation"] is False
    assert CONFIG["client"]["showErrorDetails"] in {o.value for o in st_config.ShowErrorDetailsConfigOptions}
    assert CONFIG["client"]["showErrorDetails"] not in ("full", "stacktrace")  # no tracebacks
    assert CONFIG["server"]["maxUploadSize"] <= 10
    assert CONFIG["server"]["fileWatcherType"] == "none"
    assert CONFIG["browser"]["gatherUsageStats"] is False


async def first_run(url: str):
    viewer = Viewer(url)
    try:
        return await viewer.connect()
    finally:
        await viewer.close()


def test_a_viewer_sees_the_error_type_but_not_its_message_or_traceback(tmp_path):
    script = tmp_path / "broken.py"
    script.write_text("raise ValueError('secret detail from /srv/data')\n")
    process, url = serve(script=str(script))  # cwd is the project: its config applies
    try:
        run = run_async(first_run(url))
    finally:
        process.terminate()
        process.wait(20)
    assert run.exceptions, "the error is shown"
    assert run.exceptions[0].startswith("ValueError: ")
    assert "secret detail" not in run.exceptions[0]


def test_dockerfile_copies_what_exists_and_runs_the_app():
    for sources in instructions("COPY"):
        for source in sources.split()[:-1]:
            assert (ROOT / source).exists(), f"COPY {source}: no such path"
    command = exec_form(instructions("CMD")[0])
    assert command[:3] == ["streamlit", "run", "app.py"]
    for package in ("app.py", "pages", "normcore", "figures", "ui", ".streamlit"):
        assert any(s.split()[0].rstrip("/") == package for s in instructions("COPY")), f"{package} not copied"


def test_dockerfile_ports_and_health_check_agree():
    (exposed,) = instructions("EXPOSE")
    command = exec_form(instructions("CMD")[0])
    (health,) = instructions("HEALTHCHECK")
    assert f"--server.port={exposed}" in command
    assert f"127.0.0.1:{exposed}/_stcore/health" in health
    assert "--start-period=" in health  # importing torch on a cold start takes a while


def _health_command(port: int) -> list[str]:
    (health,) = instructions("HEALTHCHECK")
    command = exec_form(health.split("CMD", 1)[1].strip())
    return [arg.replace(":8501/", f":{port}/") for arg in command]


def test_the_image_command_serves_and_its_health_check_passes(tmp_path):
    """The CMD and HEALTHCHECK as the image runs them, on a free loopback port."""
    port = free_port()
    command = [
        arg.replace("8501", str(port)).replace("0.0.0.0", "127.0.0.1")
        for arg in exec_form(instructions("CMD")[0])
    ]
    log = open(tmp_path / "server.log", "w")  # noqa: SIM115
    process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_healthy(f"http://127.0.0.1:{port}", process)
        assert subprocess.run(_health_command(port), timeout=30).returncode == 0
    finally:
        process.terminate()
        process.wait(20)
        log.close()
    assert subprocess.run(_health_command(port), timeout=30, capture_output=True).returncode != 0


def _pins(path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            name, spec = re.match(r"([A-Za-z0-9_.-]+)(.*)", line).groups()
            pins[name.lower()] = spec
    return pins


def test_host_requirements_are_the_runtime_pins_with_cpu_torch():
    runtime, host = _pins(ROOT / "requirements.txt"), _pins(ROOT / "deploy" / "requirements-host.txt")
    assert host.keys() == runtime.keys()
    for name, spec in runtime.items():
        assert host[name] == (f"{spec}+cpu" if name == "torch" else spec), name
    assert (
        "--extra-index-url https://download.pytorch.org/whl/cpu"
        in (ROOT / "deploy/requirements-host.txt").read_text()
    )


@pytest.mark.parametrize("path", ["Dockerfile", "deploy/nginx.conf", "deploy/requirements-host.txt"])
def test_deploy_docs_name_the_files(path):
    assert path in (ROOT / "docs" / "deploy.md").read_text()
