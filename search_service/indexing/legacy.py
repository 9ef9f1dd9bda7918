"""Module paths that builds written before the sub-packages still name.

Whoosh pickles each field type of the schema and each segment's codec into a build's table of
contents by class path, so a build made when every module sat at the top of the package names
``search_service.codec.Codec`` and ``search_service.spellfield.WeightedText``. Those names
resolve here to the modules that hold the same classes now; nothing else should import them.
Remove an entry only when no build that names it can still be live (``reindex`` writes the
new paths).
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
from importlib.machinery import ModuleSpec
from types import ModuleType

MOVED = {
    "search_service.codec": "search_service.indexing.codec",
    "search_service.spellfield": "search_service.indexing.fields",
}


class _MovedModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports an old module path as the module that replaced it (the same module object)."""

    def find_spec(self, name: str, path=None, target=None) -> ModuleSpec | None:
        return importlib.util.spec_from_loader(name, self) if name in MOVED else None

    def create_module(self, spec: ModuleSpec) -> ModuleType:
        return importlib.import_module(MOVED[spec.name])

    def exec_module(self, module: ModuleType) -> None:
        """The module is already imported under its new name."""


def install() -> None:
    """Let unpickling find the old paths; idempotent."""
    if not any(isinstance(finder, _MovedModules) for finder in sys.meta_path):
        sys.meta_path.append(_MovedModules())
