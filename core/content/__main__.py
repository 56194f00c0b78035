"""`python -m core.content import | import-feed | check`: see core/content/importer/cli.py."""

from __future__ import annotations

from core.content.importer.cli import main

raise SystemExit(main())
