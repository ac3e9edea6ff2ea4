"""`python -m provisioner` runs the command line."""

from .cli import main

main()
