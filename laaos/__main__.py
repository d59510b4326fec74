"""``python -m laaos``: the ``laaos`` command (see ``laaos.cli``)."""

import sys

from .cli import main

sys.exit(main())
