"""Benchmarks of Dockyard connectors against peer implementations (`dockyard bench <target>`).

Each module has a `main(argv) -> int`; `common` measures a child process's wall time, output and peak memory.
"""
