"""`python -m wippy` = the `wippy` command."""
import sys

from .cli import main

sys.exit(main())
