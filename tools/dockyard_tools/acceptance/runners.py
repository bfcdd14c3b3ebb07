"""The two ways the suite runs a connector: its Python entrypoint or its Docker image.

Both take the same protocol command line and the same JSON inputs and give back an `Output`, so a check is
written once. Inputs are files in a per-test work directory: the Python runner passes their host paths, the
Docker runner mounts the directory at /data (the image runs as a non-root user, so the directory is
world-writable) and passes /data paths. `start` runs a command in the background for tests that feed input
step by step and kill the connector part-way (SIGKILL, the way a crashed node or an OOM kill ends a sync).
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import subprocess
import sys
import threading
import uuid
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from dockyard_tools.acceptance.messages import PROTOCOL_TYPES, Output

RUN_TIMEOUT_S = 900  # a safety net against a hung connector, far above any run the suite makes
CONTAINER_DIR = "/data"


class RunnerError(RuntimeError):
    """The connector could not be run at all (not a connector failure: those are in the Output)."""


class Runner(ABC):
    """Runs protocol commands of one connector with files in `workdir`."""

    name: str

    def __init__(self, workdir: Path, env: Mapping[str, str] | None = None) -> None:
        self.workdir = workdir
        self.env = dict(env or {})
        workdir.mkdir(parents=True, exist_ok=True)
        workdir.chmod(0o777)  # the image's user (uid 10001) writes here too

    @abstractmethod
    def argv(self, args: Sequence[str]) -> list[str]:
        """The full command line for protocol arguments `args`."""

    @abstractmethod
    def inside(self, host_path: Path) -> str:
        """`host_path` (inside `workdir`) as the connector sees it."""

    def with_env(self, env: Mapping[str, str]) -> Runner:
        """The same runner (same work dir) with extra environment variables for the connector."""
        clone = self._clone()
        clone.env = {**self.env, **env}
        return clone

    @abstractmethod
    def _clone(self) -> Runner: ...

    def file(self, name: str) -> Path:
        """A host path in the work dir; pass `inside(path)` to the connector."""
        return self.workdir / name

    def write_input(self, name: str, value: Any) -> str:
        """Write a JSON input file (a str is written as is: a deliberately malformed file) for the connector."""
        path = self.file(name)
        path.write_text(value if isinstance(value, str) else json.dumps(value), encoding="utf-8")
        path.chmod(0o666)
        return self.inside(path)

    def _args(self, command: str, config: Any, catalog: Any, state: Any) -> list[str]:
        args = [command]
        if config is not None:
            args += ["--config", self.write_input("config.json", config)]
        if catalog is not None:
            args += ["--catalog", self.write_input("catalog.json", catalog)]
        if state is not None:
            args += ["--state", self.write_input("state.json", state)]
        return args

    def run(
        self,
        command: str,
        *,
        config: Any = None,
        catalog: Any = None,
        state: Any = None,
        stdin: bytes | None = None,
    ) -> Output:
        """Run one protocol command to the end and parse its output."""
        argv = self.argv(self._args(command, config, catalog, state))
        try:
            done = subprocess.run(
                argv,
                input=stdin if stdin is not None else b"",
                capture_output=True,
                cwd=self.workdir,
                env=self._process_env(),
                timeout=RUN_TIMEOUT_S,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            self._cleanup_after_timeout()
            raise RunnerError(f"{' '.join(argv)} did not finish within {RUN_TIMEOUT_S}s.") from exc
        self._after_run()
        return Output.parse(argv, done.returncode, done.stdout, done.stderr)

    def start(self, command: str, *, config: Any = None, catalog: Any = None) -> RunningConnector:
        """Start a command whose stdin the caller feeds; see RunningConnector."""
        argv = self.argv(self._args(command, config, catalog, None))
        return RunningConnector(self, argv)

    def _process_env(self) -> dict[str, str]:
        return {**os.environ, **self.env}

    def _after_run(self) -> None:  # noqa: B027 - a hook with nothing to do by default
        """Hook: make files the connector created usable on the host."""

    def _cleanup_after_timeout(self) -> None:  # noqa: B027 - a hook with nothing to do by default
        """Hook: stop whatever is left of a timed-out run."""

    def kill(self, process: subprocess.Popen[bytes]) -> None:
        process.kill()


class PythonRunner(Runner):
    """`python connectors/<name>/main.py <command> ...`: what the image runs, on this interpreter."""

    name = "python"

    def __init__(self, connector_dir: Path, workdir: Path, env: Mapping[str, str] | None = None) -> None:
        super().__init__(workdir, env)
        self.connector_dir = connector_dir

    def argv(self, args: Sequence[str]) -> list[str]:
        return [sys.executable, str(self.connector_dir / "main.py"), *args]

    def inside(self, host_path: Path) -> str:
        return str(host_path)

    def _clone(self) -> PythonRunner:
        return PythonRunner(self.connector_dir, self.workdir, self.env)


class DockerRunner(Runner):
    """`docker run --rm -i --network none -v <workdir>:/data <image> <command> ...`, as users run it."""

    name = "docker"

    def __init__(
        self, image: str, workdir: Path, env: Mapping[str, str] | None = None, *, network: str = "none"
    ) -> None:
        super().__init__(workdir, env)
        self.image = image
        self.network = network
        self.container = ""

    def argv(self, args: Sequence[str]) -> list[str]:
        self.container = f"dockyard-acceptance-{uuid.uuid4().hex[:12]}"
        env = [item for key, value in self.env.items() for item in ("-e", f"{key}={value}")]
        return [
            "docker",
            "run",
            "--rm",
            "-i",
            "--name",
            self.container,
            "--network",
            self.network,
            "-v",
            f"{self.workdir}:{CONTAINER_DIR}",
            *env,
            self.image,
            *args,
        ]

    def inside(self, host_path: Path) -> str:
        return f"{CONTAINER_DIR}/{host_path.relative_to(self.workdir).as_posix()}"

    def _clone(self) -> DockerRunner:
        return DockerRunner(self.image, self.workdir, self.env, network=self.network)

    def _process_env(self) -> dict[str, str]:
        return dict(os.environ)  # the connector's environment goes in with -e, not through the docker CLI

    def kill(self, process: subprocess.Popen[bytes]) -> None:
        """SIGKILL the container itself: killing the `docker run` client would leave it running."""
        subprocess.run(["docker", "kill", self.container], capture_output=True, check=False)
        process.wait(timeout=RUN_TIMEOUT_S)

    def _cleanup_after_timeout(self) -> None:
        subprocess.run(["docker", "rm", "-f", self.container], capture_output=True, check=False)

    def _after_run(self) -> None:
        if os.geteuid() == 0:
            return  # root on the host can read and delete what uid 10001 wrote
        subprocess.run(
            [
                *("docker", "run", "--rm", "--user", "0", "--entrypoint", "chmod"),
                *("-v", f"{self.workdir}:{CONTAINER_DIR}", self.image, "-R", "a+rwX", CONTAINER_DIR),
            ],
            capture_output=True,
            check=False,
        )


class RunningConnector:
    """A connector running in the background: feed stdin, read messages as they come, kill it or finish it."""

    def __init__(self, runner: Runner, argv: list[str]) -> None:
        self.runner = runner
        self.argv = argv
        self._stderr = (runner.workdir / f"stderr-{uuid.uuid4().hex[:8]}.log").open("w+b")
        self.process = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            cwd=runner.workdir,
            env=runner._process_env(),
        )
        self._lines: queue.Queue[bytes | None] = queue.Queue()
        self._seen: list[bytes] = []
        self._reader = threading.Thread(target=self._pump, args=(self.process.stdout,), daemon=True)
        self._reader.start()

    def _pump(self, stream: IO[bytes] | None) -> None:
        assert stream is not None
        for line in iter(stream.readline, b""):
            self._lines.put(line)
        self._lines.put(None)

    def send(self, data: bytes) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(data)
        self.process.stdin.flush()

    def next_message(self, timeout: float = RUN_TIMEOUT_S) -> dict[str, Any] | None:
        """The next protocol message on stdout (None at end of output); raises RunnerError on a hang."""
        while True:
            try:
                line = self._lines.get(timeout=timeout)
            except queue.Empty as exc:
                self.kill()
                raise RunnerError(f"{' '.join(self.argv)} wrote nothing for {timeout}s.") from exc
            if line is None:
                return None
            self._seen.append(line)
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if isinstance(message, dict) and message.get("type") in PROTOCOL_TYPES:
                return message

    def kill(self) -> None:
        """SIGKILL: nothing after this point reaches the destination, nothing gets to clean up."""
        if self.process.poll() is None:
            self.runner.kill(self.process)
        self.process.wait(timeout=RUN_TIMEOUT_S)

    def finish(self) -> Output:
        """Close stdin, wait for the end and return everything the connector wrote."""
        if self.process.stdin is not None and not self.process.stdin.closed:
            with contextlib.suppress(BrokenPipeError):
                self.process.stdin.close()
        try:
            self.process.wait(timeout=RUN_TIMEOUT_S)
        except subprocess.TimeoutExpired as exc:
            self.kill()
            raise RunnerError(f"{' '.join(self.argv)} did not finish within {RUN_TIMEOUT_S}s.") from exc
        self._reader.join(timeout=RUN_TIMEOUT_S)
        while True:
            try:
                line = self._lines.get_nowait()
            except queue.Empty:
                break
            if line is not None:
                self._seen.append(line)
        self._stderr.seek(0)
        stderr = self._stderr.read()
        self._stderr.close()
        self.runner._after_run()
        return Output.parse(self.argv, self.process.returncode, b"".join(self._seen), stderr)
