"""Source side of the runtime."""
