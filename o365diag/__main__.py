import sys

from o365diag.cli import main

sys.exit(main())
