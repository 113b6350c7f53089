"""``python -m bzs_repro`` = the ``bzs-repro`` command."""

import sys

from bzs_repro.cli import main

sys.exit(main())
