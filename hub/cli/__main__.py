"""`python -m hub.cli` runs the `alerthub` command (used by tests and process managers)."""

from hub.cli.main import main

raise SystemExit(main())
