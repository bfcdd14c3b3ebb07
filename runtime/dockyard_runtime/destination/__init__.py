"""Destination side of the runtime: the fast write loop, buffering, state checkpoints and the loader hook."""
