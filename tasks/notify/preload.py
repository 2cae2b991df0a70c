"""What serve's fork server imports once for every check that sends (``flows.warm_start``): Apprise and its
plugins, Jinja2, our sender and message rendering (``tasks.notice.preload`` holds the 督办单 writer's).

A check imports them lazily (``flows.check_measure`` stays light to import: ``tests/e2e/test_check_measure.py``).
Only the fork server imports this module, so each forked check starts with them imported; Apprise's plugins
are loaded here too (Apprise loads them all at the first URL it is given, about 0.3 CPU-s a process).
Importing it changes no state a check relies on: the same modules, imported earlier.
"""

from __future__ import annotations

import logging

import apprise  # noqa: F401
import jinja2  # noqa: F401

import tasks.notify.render
import tasks.notify.sender  # noqa: F401

logger = logging.getLogger(__name__)


def load_apprise_plugins() -> bool:
    """Load Apprise's notification plugins now (its manager is a process-wide singleton); False when this
    Apprise has no such manager (its plugins then load at the first URL, as without the preload)."""
    try:
        from apprise.manager_plugins import NotificationManager

        NotificationManager().load_modules()  # type: ignore[no-untyped-call]
    except Exception as error:  # an Apprise without this manager: the check loads them itself
        logger.warning("fork server: Apprise's plugins not preloaded (%s)", error)
        return False
    return True


load_apprise_plugins()
