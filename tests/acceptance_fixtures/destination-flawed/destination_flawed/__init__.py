"""A tiny SQLite-backed destination that passes the acceptance suite, or breaks one rule when DOCKYARD_FLAW names it."""
