"""Dockyard's Faker source: deterministic fake users, products and purchases, fast enough to benchmark with."""
