"""A tiny source that passes the acceptance suite, or breaks one rule when DOCKYARD_FLAW names it."""
