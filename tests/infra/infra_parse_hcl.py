"""Parse every ``.tf`` file under a folder with python-hcl2 and print one JSON document.

Runs in its own tool environment (``uv run --isolated --no-project --with python-hcl2``)
because checkov's ``bc-python-hcl2`` fork installs a module also named ``hcl2``. Output::

    {"files": {"<relative path>": <parsed HCL>}, "errors": {"<relative path>": "<error>"}}
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(root: str) -> int:
    import hcl2
    from hcl2 import SerializationOptions

    options = SerializationOptions(
        with_comments=False, explicit_blocks=False, strip_string_quotes=True
    )
    base = Path(root)
    files: dict[str, object] = {}
    errors: dict[str, str] = {}
    for path in sorted(base.rglob("*.tf")):
        if ".terraform" in path.parts:
            continue
        rel = path.relative_to(base).as_posix()
        try:
            with path.open(encoding="utf-8") as handle:
                files[rel] = hcl2.load(handle, serialization_options=options)
        except Exception as exc:  # any parse failure is reported per file, not raised
            errors[rel] = f"{type(exc).__name__}: {exc}"
    json.dump({"files": files, "errors": errors}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
