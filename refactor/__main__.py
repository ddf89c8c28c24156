"""`python -m refactor` runs the gotrim command line."""

from refactor.cli import main

raise SystemExit(main())
