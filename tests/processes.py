"""Run the real `rsc-service` command in child processes (the standalone simulators among them), and wait
for a served port."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]


def env_for(database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RSC_")}
    env.update({"RSC_DATABASE__URL": database_url, "RSC_LOGGING__FORMAT": "json", **extra})
    return env


def tenant_env(database_url: str, *keys: str) -> dict[str, str]:
    """`env_for` with the encryption keys the tenant commands need (the newest first)."""
    return env_for(
        database_url, RSC_SECURITY__ENCRYPTION_KEYS=json.dumps(list(keys)), RSC_ALLOW_INSECURE_LOCAL="true"
    )


def create_tenant(env: Mapping[str, str], *options: str) -> dict[str, Any]:
    """`rsc-service tenant create --json` of the simulator's customer, `options` added; what it printed."""
    created = run(
        [
            "tenant", "create", "--json",
            "--name", "Acme", "--ats-url", "http://127.0.0.1:8200", "--ats-token", "t0k3n",
            "--organization", "urn:li:organization:1001", "--contract", "urn:li:contract:2001",
            "--client-id", "sim-customer", "--client-secret", "sim-customer-secret",
            "--app-urn", "urn:li:developerApplication:3001", "--unique-foreign-id", "acme-1",
            *options,
        ],
        env,
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    return dict(json.loads(created.stdout))


def run(
    args: list[str], env: Mapping[str, str], cwd: Path = ROOT, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rsc_service", *args],
        env=dict(env),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def start(
    args: list[str], env: Mapping[str, str], log: Path, *, errors: Path | None = None, group: bool = False
) -> subprocess.Popen[bytes]:
    """`rsc-service ARGS` in the background, its stdout and stderr to `log` (its stderr to `errors` where
    given); with `group`, in a process group of its own."""
    with ExitStack() as files:
        out = files.enter_context(log.open("wb"))
        err = out if errors is None else files.enter_context(errors.open("wb"))
        return subprocess.Popen(
            [sys.executable, "-m", "rsc_service", *args],
            env=dict(env),
            cwd=ROOT,
            stdout=out,
            stderr=err,
            start_new_session=group,
        )


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, *, timeout: float = 30, status: int = 200) -> httpx.Response:
    deadline = time.monotonic() + timeout
    last: httpx.Response | Exception | None = None
    while time.monotonic() < deadline:
        try:
            last = httpx.get(url, timeout=2)
            if last.status_code == status:
                return last
        except httpx.HTTPError as error:
            last = error
        time.sleep(0.2)
    raise AssertionError(f"{url} did not answer {status} within {timeout}s (last: {last!r})")


@dataclass
class Sims:
    """Base URLs of the fake ATS and the LinkedIn simulator."""

    ats: str
    linkedin: str


@contextmanager
def simulators(log_dir: Path, *, candidates: int = 0, **extra: str) -> Iterator[Sims]:
    """The fake ATS (seeded with `candidates`) and the LinkedIn simulator, each `rsc-service simulate` in a
    process of its own on a free 127.0.0.1 port, answering before this yields and stopped after. `extra`
    adds environment variables; the logs go to `log_dir` (ats.log, li.log)."""
    ats_port, linkedin_port = free_port(), free_port()
    environment = env_for("sqlite+aiosqlite:///unused.db", RSC_ALLOW_INSECURE_LOCAL="true", **extra)
    started: list[subprocess.Popen[bytes]] = []
    try:
        started.append(
            start(
                ["simulate", "ats", "--port", str(ats_port), "--candidates", str(candidates)],
                environment,
                log_dir / "ats.log",
            )
        )
        started.append(
            start(["simulate", "linkedin", "--port", str(linkedin_port)], environment, log_dir / "li.log")
        )
        sims = Sims(f"http://127.0.0.1:{ats_port}", f"http://127.0.0.1:{linkedin_port}")
        wait_for(f"{sims.ats}/_sim/state")
        wait_for(f"{sims.linkedin}/_sim/state")
        yield sims
    finally:
        for process in started:
            stop(process)


class Group:
    """`rsc-service ARGS` in a process group of its own, so all of it can be killed; its stdout and stderr
    go to `log` with the suffixes .out and .err."""

    def __init__(self, args: list[str], environment: Mapping[str, str], log: Path) -> None:
        self.out, self.err = log.with_suffix(".out"), log.with_suffix(".err")
        self.process = start(args, environment, self.out, errors=self.err, group=True)

    def running(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> int:
        """SIGKILL to the process group (what `kill -9` of a service and its children does)."""
        if self.running():
            os.killpg(self.process.pid, signal.SIGKILL)
        return self.process.wait(timeout=15)

    def stderr(self) -> str:
        return self.err.read_text(errors="replace")[-3000:]
