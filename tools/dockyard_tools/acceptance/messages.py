"""What one connector run produced: exit code, raw output and the protocol messages parsed from stdout."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

PROTOCOL_TYPES = ("RECORD", "STATE", "LOG", "SPEC", "CONNECTION_STATUS", "CATALOG", "TRACE", "CONTROL")
TRACEBACK = "Traceback (most recent call last)"


@dataclass
class Output:
    """One finished run. `bad_lines` are stdout lines that are not protocol messages (always a bug)."""

    command: list[str]
    returncode: int
    stdout: bytes
    stderr: bytes
    messages: list[dict[str, Any]] = field(default_factory=list)
    bad_lines: list[str] = field(default_factory=list)

    @classmethod
    def parse(cls, command: list[str], returncode: int, stdout: bytes, stderr: bytes) -> Output:
        output = cls(command, returncode, stdout, stderr)
        for raw in stdout.splitlines():
            line = raw.decode("utf-8", errors="replace")
            if not line.strip():
                continue
            try:
                message = json.loads(line)
            except ValueError:
                output.bad_lines.append(line)
                continue
            if isinstance(message, dict) and message.get("type") in PROTOCOL_TYPES:
                output.messages.append(message)
            else:
                output.bad_lines.append(line)
        return output

    # -- views -------------------------------------------------------------------------------------------
    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m.get("type") == kind]

    @property
    def records(self) -> list[dict[str, Any]]:
        """The `record` objects of RECORD messages."""
        return [m["record"] for m in self.of_type("RECORD")]

    def records_of(self, stream: str) -> list[dict[str, Any]]:
        return [r for r in self.records if r.get("stream") == stream]

    @property
    def states(self) -> list[dict[str, Any]]:
        """The `state` objects of STATE messages."""
        return [m["state"] for m in self.of_type("STATE")]

    @property
    def errors(self) -> list[dict[str, Any]]:
        """The `error` objects of TRACE messages of type ERROR."""
        return [
            m["trace"]["error"]
            for m in self.of_type("TRACE")
            if isinstance(m.get("trace"), dict) and m["trace"].get("type") == "ERROR"
        ]

    @property
    def statuses(self) -> list[dict[str, Any]]:
        return [m["connectionStatus"] for m in self.of_type("CONNECTION_STATUS")]

    @property
    def text(self) -> str:
        """Stdout and stderr as text, for searching (secrets, tracebacks)."""
        return self.stdout.decode("utf-8", errors="replace") + "\n" + self.stderr.decode("utf-8", errors="replace")

    def describe(self, limit: int = 4000) -> str:
        """A summary for assertion messages: command, exit code and the tails of both streams."""
        out = self.stdout.decode("utf-8", errors="replace")
        err = self.stderr.decode("utf-8", errors="replace")
        return (
            f"command: {' '.join(self.command)}\nexit code: {self.returncode}\n"
            f"stdout (tail):\n{out[-limit:]}\nstderr (tail):\n{err[-limit:]}"
        )

    def stream_states(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """(stream name, STATE `state` object) of every per-stream STATE, in order."""
        for state in self.states:
            if state.get("type", "STREAM") != "STREAM":
                continue
            name = ((state.get("stream") or {}).get("stream_descriptor") or {}).get("name")
            if isinstance(name, str):
                yield name, state

    def final_states(self) -> dict[str, dict[str, Any]]:
        """The last stream_state of each stream."""
        return {name: (state.get("stream") or {}).get("stream_state") or {} for name, state in self.stream_states()}

    def state_messages_for_next_read(self) -> list[dict[str, Any]]:
        """The last STATE of each stream (descriptor and namespace kept), as a platform passes them to the next
        read, without the statistics the source added."""
        last = {name: state for name, state in self.stream_states()}
        return [{k: v for k, v in s.items() if k not in ("sourceStats", "destinationStats")} for s in last.values()]
