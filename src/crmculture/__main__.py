"""``python -m crmculture``: the command line."""

from crmculture.cli import main

raise SystemExit(main())
