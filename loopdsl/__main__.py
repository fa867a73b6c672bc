"""``python -m loopdsl``: the command line."""

from loopdsl.cli import main

raise SystemExit(main())
