"""Dockyard's shared connector runtime.

Everything that more than one connector needs lives here once: the entrypoint and its error handling, config
validation against the spec, the destination write loop (batching, state checkpoints), and SQL loading behind a
small dialect hook. Importing this package is cheap on purpose: heavy modules (the Airbyte CDK, database
drivers) are imported where they are used so that `spec` stays fast.
"""

from __future__ import annotations

__version__ = "0.1.0"
