"""Modules imported when first used, not when tiescale is.

Importing Ibis (and sqlglot under it) takes about half a second, and most commands never build an
expression: a reader's SQL comes compiled from ``tiescale.sqlcache``. The scoring modules name
``ibis`` as a lazy module, so a read that finds its SQL in the cache does not import Ibis at all.
"""
from __future__ import annotations

import importlib.util
import sys
from types import ModuleType


def lazy_module(name: str) -> ModuleType:
    """``name`` as a module that is executed on its first attribute access (the one already
    imported, when it is)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ImportError(f"no module named {name!r}")
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module
