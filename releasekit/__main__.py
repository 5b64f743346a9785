"""`python -m releasekit`."""

import sys

from releasekit.cli import main

# Guarded: multiprocessing's spawn start method re-imports the main module in every worker.
if __name__ == "__main__":
    sys.exit(main())
