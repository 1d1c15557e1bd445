"""`python -m intake` runs the CLI."""

from intake.cli import main

raise SystemExit(main())
