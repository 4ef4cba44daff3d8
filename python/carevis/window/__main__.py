"""``python -m carevis.window``: the window on a journey table (``carevis view``)."""

import sys

from ..errors import CarevisError
from .launch import main_view

try:
    sys.exit(main_view())
except CarevisError as e:
    print(f"carevis: error: {e}", file=sys.stderr)
    sys.exit(1)
