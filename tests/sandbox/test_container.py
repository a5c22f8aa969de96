"""The docker backend's own promises: isolation, clear errors, orphan cleanup, the CLI."""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym
import pytest

from steptool_env.cli import main
from steptool_env.errors import SandboxError
from steptool_env.sandbox import container as container_mod
from steptool_env.sandbox.container import (
    LABEL,
    SOCKET_DIR_PREFIX,
    DockerOptions,
    prune_containers,
    sandbox_containers,
)
from steptool_env.sandbox.image import default_tag, ensure_image
from tests.sandbox.conftest import child_env


def test_no_daemon_is_a_clear_error_and_inprocess_still_works(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    monkeypatch.setattr(container_mod, "_client", None)
    with pytest.raises(SandboxError, match="needs a running Docker daemon") as err:
        gym.make("StepTool/ToolBench-v0", backend="docker")
    assert "backend='inprocess'" in str(err.value)
    env = gym.make("StepTool/ToolBench-v0")
    env.reset(seed=0)
    env.close()


def test_the_cli_reports_a_missing_daemon(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    monkeypatch.setattr(container_mod, "_client", None)
    assert main(["sandbox", "status"]) == 2
    assert "needs a running Docker daemon" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.docker
def test_the_container_is_locked_down(docker_ready: None) -> None:
    options = {"memory": "256m", "cpus": 0.5, "pids": 64}
    env = gym.make("StepTool/ToolBench-v0", backend="docker", backend_options=options)
    container = env.unwrapped.backend.server.container
    container.reload()
    host, config = container.attrs["HostConfig"], container.attrs["Config"]
    assert host["NetworkMode"] == "none"
    assert set(container.attrs["NetworkSettings"]["Networks"]) <= {"none"}
    assert host["ReadonlyRootfs"] is True
    assert host["CapDrop"] == ["ALL"] and not host.get("CapAdd")
    assert "no-new-privileges:true" in host["SecurityOpt"]
    assert host["Memory"] == 256 * 1024**2 and host["MemorySwap"] == 256 * 1024**2
    assert host["NanoCpus"] == 500_000_000 and host["PidsLimit"] == 64
    assert host["Privileged"] is False
    assert config["User"] and config["User"].split(":")[0] not in ("", "0", "root")
    assert config["Labels"][LABEL] == "container"
    # The socket folder is the only writable mount, and /tmp a small tmpfs.
    mounts = container.attrs["Mounts"]
    assert [m["Destination"] for m in mounts] == ["/run/steptool"]
    assert "/tmp" in host["Tmpfs"]
    env.close()


@pytest.mark.docker
@pytest.mark.slow
def test_orphans_of_a_killed_process_are_pruned(
    docker_ready: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """The container and its host socket folder (which `sandbox prune` used to leave)."""
    folder = Path(child_env("docker", "_dir", kill=True))
    assert folder.is_dir() and folder.name.startswith(SOCKET_DIR_PREFIX)
    (name,) = (
        c.name
        for c in sandbox_containers()
        if any(m["Source"] == str(folder) for m in c.attrs["Mounts"])
    )
    assert main(["sandbox", "prune"]) == 0
    assert name in capsys.readouterr().out
    assert not folder.exists()
    assert name not in prune_containers()


@pytest.mark.docker
@pytest.mark.slow
def test_containers_are_removed_at_interpreter_exit(docker_ready: None) -> None:
    name = child_env("docker", "container.name", kill=False)
    client = container_mod.docker_client()
    assert name.startswith("steptool-sandbox-")
    assert name not in {c.name for c in client.containers.list(all=True)}


@pytest.mark.docker
def test_images_are_reused_and_missing_ones_named(docker_ready: None) -> None:
    client = container_mod.docker_client()
    assert ensure_image(client, build=False) == default_tag()
    with pytest.raises(SandboxError, match="steptool sandbox build"):
        ensure_image(client, "steptool-sandbox:does-not-exist", build=False)
    with pytest.raises(SandboxError, match="does-not-exist"):
        gym.make(
            "StepTool/ToolBench-v0",
            backend="docker",
            backend_options={"image": "steptool-sandbox:does-not-exist", "build": False},
        )


@pytest.mark.docker
def test_sandbox_cli(docker_ready: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sandbox", "build"]) == 0
    assert "up to date" in capsys.readouterr().out
    assert main(["sandbox", "status"]) == 0
    out = capsys.readouterr().out
    assert f"{default_tag()}  (current)" in out


def test_docker_options_are_validated() -> None:
    from steptool_env.errors import ConfigError

    with pytest.raises(ConfigError, match="memory"):
        DockerOptions(memory="lots")
    with pytest.raises(ConfigError, match="cpus"):
        DockerOptions(cpus=0)
