"""``python -m laaos.cli``: the ``laaos`` command, as ``python -m laaos`` runs it."""

import sys

from . import main

sys.exit(main())
