"""``python -m carevis.cli``: the ``carevis`` command."""

import sys

from .app import main

sys.exit(main())
