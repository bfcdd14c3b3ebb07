"""The one entrypoint every connector's `main.py`, console script and Docker image runs.

`launch` parses the protocol command line, answers `spec` without importing the Airbyte CDK (so it is fast),
validates the config against the spec before the connector sees it, registers secrets for masking, and turns
every failure into a single Airbyte TRACE message and exit code 1 — never a traceback dump on stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import logging
import os
import sys
import traceback
from collections.abc import Sequence
from typing import Any

from dockyard_runtime import logs, protocol, secrets
from dockyard_runtime.config import read_json_file, validate_config
from dockyard_runtime.errors import DockyardError
from dockyard_runtime.spec import load_spec

COMMANDS = {
    "source": ("spec", "check", "discover", "read"),
    "destination": ("spec", "check", "write"),
}


def _parser(kind: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=f"dockyard-{kind}", description=f"An Airbyte protocol {kind}.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="|".join(COMMANDS[kind]))
    sub.add_parser("spec", help="print the connector specification")
    for command in COMMANDS[kind][1:]:
        p = sub.add_parser(command)
        p.add_argument("--config", required=True, help="path to the config JSON file")
        if command in ("read", "write"):
            p.add_argument("--catalog", required=True, help="path to the configured catalog JSON file")
        if command == "read":
            p.add_argument("--state", help="path to the state JSON file")
    parser.add_argument("--debug", action="store_true", help="log at DEBUG level, with tracebacks")
    return parser


def _load_class(target: str) -> Any:
    module_name, _, attr = target.partition(":")
    return getattr(importlib.import_module(module_name), attr)


def _emit_failure(exc: BaseException) -> None:
    if isinstance(exc, DockyardError):
        protocol.emit(protocol.error_trace(exc.render(), failure_type=exc.failure_type))
        return
    as_message = getattr(exc, "as_airbyte_message", None)
    if callable(as_message):  # an AirbyteTracedException raised inside the CDK
        from airbyte_cdk.models.airbyte_protocol_serializers import AirbyteMessageSerializer

        message = AirbyteMessageSerializer.dump(as_message())
        message["trace"]["error"].pop("stack_trace", None)
        protocol.emit(message)
        return
    internal = "".join(traceback.format_exception(exc)) if os.environ.get("DOCKYARD_DEBUG") else None
    protocol.emit(
        protocol.error_trace(
            f"Unexpected error: {type(exc).__name__}: {exc}",
            failure_type="system_error",
            internal_message=internal,
        )
    )


def launch(connector: str, *, kind: str, spec_package: str, argv: Sequence[str] | None = None) -> int:
    """Run one protocol command; `connector` is "module:Class", imported only when needed."""
    args = _parser(kind).parse_args(list(sys.argv[1:] if argv is None else argv))
    logs.install(logging.DEBUG if args.debug or os.environ.get("DOCKYARD_DEBUG") else logging.INFO)
    try:
        spec = load_spec(spec_package)
        if args.command == "spec":
            protocol.emit({"type": "SPEC", "spec": spec})
            return 0
        secrets.reset()
        config = read_json_file(args.config, what="config")
        if isinstance(config, dict):
            found = secrets.secret_values(spec["connectionSpecification"], config)
            secrets.register(found)
        validate_config(config, spec["connectionSpecification"])
        connector_class = _load_class(connector)
        if "airbyte_cdk" in sys.modules:  # a CDK connector: its own log filter must mask the same values
            from airbyte_cdk.utils.airbyte_secrets_utils import update_secrets

            update_secrets(secrets.registered())
        instance = connector_class()
        instance.run_command(args, config, spec)
        protocol.flush()
        return 0
    except BrokenPipeError:
        return 1
    except (Exception, KeyboardInterrupt) as exc:  # the one place that turns failures into a TRACE
        logging.getLogger("dockyard").debug("command failed", exc_info=True)
        with contextlib.suppress(BrokenPipeError):
            _emit_failure(exc)
        return 1


def run(connector: str, *, kind: str, spec_package: str) -> None:
    """Console-script wrapper: launch and exit with its code."""
    sys.exit(launch(connector, kind=kind, spec_package=spec_package))
