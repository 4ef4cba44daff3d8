"""``python -m carevis.window``: the window on a journey table (``carevis view``)."""

import sys

from .launch import main_view

sys.exit(main_view())
