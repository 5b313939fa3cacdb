"""Where the package's own files are, named as the Pulumi engine and providers will read them.

The function's modules and the image's build context come from this package's location, never
the caller's working folder: a program elsewhere, or the plugin host, finds the same files. A
path under the working folder stays relative to it, so the stack's own program names its files
as it always has (``Dockerfile``, ``delete_fn/handler.py``) and every checkout of one commit
gives the same inputs; any other path is absolute, which the engine and every provider resolve
alike whatever folder each runs in.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

#: The folder that holds ``components/``, ``delete_fn/``, ``picus/`` and the Dockerfile.
PACKAGE_ROOT: Final = Path(__file__).resolve().parent.parent


def source_path(relative: str) -> str:
    """``relative`` (to the package's root) as the program should name it."""
    path = PACKAGE_ROOT / relative
    here = Path.cwd().resolve()
    if path == here or here in path.parents:
        return os.path.relpath(path, here)
    return str(path)
