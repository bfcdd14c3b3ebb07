"""Keeping glibc from returning heap memory to the OS after every large free.

A fast source or destination allocates and frees a batch every few milliseconds. With glibc's defaults each free
that leaves more than 128 KiB at the top of the heap gives it back (trim), and the next batch faults the same
pages in again; in a virtual machine, where a page fault is expensive, that cycle measured several times the
cost of the serialization itself. Raising the trim threshold and padding the heap top keeps those pages, at the
price of up to a few tens of MiB of memory that stays mapped until the process exits.
"""

from __future__ import annotations

import ctypes
import logging
import sys

_M_TRIM_THRESHOLD = -1
_M_TOP_PAD = -2

logger = logging.getLogger("dockyard.heap")


def keep_heap_pages(trim_threshold: int = 64 << 20, top_pad: int = 16 << 20) -> bool:
    """Apply the tuning when the C library is glibc; True when it took effect."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # musl and other C libraries have no mallopt
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    applied = bool(mallopt(_M_TRIM_THRESHOLD, trim_threshold)) and bool(mallopt(_M_TOP_PAD, top_pad))
    logger.debug("glibc heap trimming relaxed: %s", applied)
    return applied
