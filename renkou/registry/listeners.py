"""Listeners the registry tells when a person's facts change.

The registry is below the apps that read it (policy classifies births from its facts), so it
cannot call them. A higher app registers a function here from its AppConfig.ready()
(policy registers `reclassify_family`); the registry's actions call `facts_changed` inside the
same transaction as the change. See docs/architecture.md, "Listeners".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

FactsListener = Callable[[Any], object]

_facts_listeners: list[FactsListener] = []


def on_facts_changed(listener: FactsListener) -> FactsListener:
    """Call `listener(person)` whenever a person's registry facts change; idempotent."""
    if listener not in _facts_listeners:
        _facts_listeners.append(listener)
    return listener


def facts_changed(*persons: Any) -> None:
    """Tell every listener that these persons' facts changed."""
    for listener in _facts_listeners:
        for person in persons:
            listener(person)
