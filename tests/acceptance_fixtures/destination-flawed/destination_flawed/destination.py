"""The flawed destination's own small write loop (kept apart from the runtime's so flaws stay local)."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from dockyard_runtime.destination.base import DockyardDestination
from dockyard_runtime.destination.catalog import parse_catalog

from destination_flawed.store import Store, connect

FLAW = os.environ.get("DOCKYARD_FLAW", "")
PASSWORD = "pw-FLAWED-DEST-777"


class DestinationFlawed(DockyardDestination):
    def check_connection(self, config: Mapping[str, Any]) -> str | None:
        if FLAW == "leaks_secret_on_stderr":
            sys.stderr.write(f"connecting with password {config['password']}\n")
        if config["password"] != PASSWORD:
            return "The password was refused."
        Path(config["path"]).parent.mkdir(parents=True, exist_ok=True)
        connect(config["path"]).close()
        return None

    def write(self, config: Mapping[str, Any], catalog: Any, lines: Iterable[bytes], out: IO[bytes]) -> int:
        streams = parse_catalog(catalog)
        store = Store(str(config["path"]), streams)
        every_state = bool(config.get("commit_every_records"))
        staged: list[tuple[Any, dict[str, Any], int]] = []
        pending: list[dict[str, Any]] = []

        def echo(states: list[dict[str, Any]]) -> None:
            if FLAW == "states_reordered":
                states = states[::-1]
            if FLAW == "drops_state":
                states = states[::2]
            out.write(b"".join(json.dumps(s).encode() + b"\n" for s in states))
            out.flush()

        for line in lines:
            try:
                message = json.loads(line, parse_float=Decimal)
            except ValueError:
                if FLAW == "crashes_on_garbage":
                    raise
                continue
            if not isinstance(message, dict):
                continue
            if message.get("type") == "RECORD":
                record = message.get("record") or {}
                key = (record.get("namespace") or None, record.get("stream"))
                if key in streams and isinstance(record.get("data"), dict):
                    staged.append((key, record["data"], int(record.get("emitted_at") or 0)))
            elif message.get("type") == "STATE":
                if FLAW == "echo_before_commit":
                    echo([message])
                    continue
                pending.append(message)
                if every_state:
                    store.commit(staged)
                    staged = []
                    echo(pending)
                    pending = []
        store.commit(staged)
        store.finish()
        echo(pending)
        return 0
