"""``python -m minikeras``: the command-line interface (`minikeras.cli`)."""
import sys

from .cli import main

if __name__ == "__main__":  # importing the module (as documentation tools do) runs nothing
    sys.exit(main())
