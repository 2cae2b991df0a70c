"""``python -m flows.cli`` runs the ``zhenggai`` command line."""

from flows.cli import main

main()
