"""An adapter that lets the Airbyte CDK's standard tests drive a Dockyard connector.

The CDK's in-process tests call an `airbyte_cdk.Source` object (spec/check/discover/read) through its own
AirbyteEntrypoint. Dockyard connectors are not Source subclasses (FastSource, DockyardDestination) and are
meant to be run through Dockyard's entrypoint, so this Source runs each command through the connector's
`main.py` (the Python runner) and hands the CDK the messages it printed. The connector's own validation,
secret masking and error TRACEs are what the CDK's tests see.
"""

from __future__ import annotations

import json
import logging
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from airbyte_cdk.models import (  # type: ignore[attr-defined]  # re-exported without __all__
    AirbyteCatalog,
    AirbyteConnectionStatus,
    AirbyteMessage,
    ConnectorSpecification,
    FailureType,
    Status,
)
from airbyte_cdk.models.airbyte_protocol_serializers import AirbyteMessageSerializer
from airbyte_cdk.sources.source import Source
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from dockyard_tools.acceptance.messages import Output
from dockyard_tools.acceptance.runners import PythonRunner


class DockyardSourceAdapter(Source):
    """A CDK `Source` whose every command runs `connectors/<name>/main.py` in a subprocess."""

    check_config_against_spec = False  # Dockyard's entrypoint validates the config, with its own messages

    def __init__(self, connector_dir: Path) -> None:
        self.connector_dir = connector_dir

    def _run(self, command: str, **inputs: Any) -> Output:
        with tempfile.TemporaryDirectory(prefix="dockyard-peer-") as workdir:
            return PythonRunner(self.connector_dir, Path(workdir)).run(command, **inputs)

    @staticmethod
    def _raise_error(output: Output) -> None:
        """Turn the connector's error TRACE (or a silent non-zero exit) into the exception the CDK expects."""
        if output.errors:
            error = output.errors[0]
            kind = str(error.get("failure_type") or "system_error")
            raise AirbyteTracedException(
                message=str(error.get("message")),
                internal_message=error.get("internal_message"),
                failure_type=FailureType(kind) if kind in FailureType.__members__ else FailureType.system_error,
            )
        if output.returncode != 0:
            raise RuntimeError(f"{' '.join(output.command)} exited with code {output.returncode}")

    def _one(self, output: Output, kind: str) -> Mapping[str, Any]:
        found = output.of_type(kind)
        if len(found) != 1:
            self._raise_error(output)
            raise RuntimeError(f"expected one {kind} message, got {len(found)}")
        return found[0]

    def spec(self, logger: logging.Logger) -> ConnectorSpecification:
        message = AirbyteMessageSerializer.load(dict(self._one(self._run("spec"), "SPEC")))
        if message.spec is None:
            raise RuntimeError("the SPEC message has no spec")
        return message.spec

    def check(self, logger: logging.Logger, config: Mapping[str, Any]) -> AirbyteConnectionStatus:
        output = self._run("check", config=dict(config))
        if not output.statuses:
            self._raise_error(output)
        status = output.statuses[-1]
        return AirbyteConnectionStatus(status=Status(status["status"]), message=status.get("message"))

    def discover(self, logger: logging.Logger, config: Mapping[str, Any]) -> AirbyteCatalog:
        message = AirbyteMessageSerializer.load(dict(self._one(self._run("discover", config=dict(config)), "CATALOG")))
        if message.catalog is None:
            raise RuntimeError("the CATALOG message has no catalog")
        return message.catalog

    @classmethod
    def read_catalog(cls, catalog_path: str) -> Any:
        """The catalog as written: the connector, not the CDK's model, decides what is invalid in it."""
        return json.loads(Path(catalog_path).read_text(encoding="utf-8"))

    @classmethod
    def read_state(cls, state_path: str) -> Any:
        return json.loads(Path(state_path).read_text(encoding="utf-8")) if state_path else None

    def read(
        self, logger: logging.Logger, config: Mapping[str, Any], catalog: Any, state: Any = None
    ) -> Iterator[AirbyteMessage]:
        output = self._run("read", config=dict(config), catalog=catalog, state=state or None)
        for message in output.messages:
            yield AirbyteMessageSerializer.load(message)
        if output.returncode != 0 and not output.errors:
            raise RuntimeError(f"{' '.join(output.command)} exited with code {output.returncode} and no error TRACE")
