"""Who acts on which domain event: every subscriber and stamp of clm, registered in one place.

The app factory calls :func:`register` (so every ``clm`` command, ``clm serve`` and ``clm worker``
has it); packages publish events by name (:mod:`clm.events`) and never call each other's
after-commit work by hand.

==========================  ===========================================================
event                       subscribers (in order)
==========================  ===========================================================
``version.stored``          term extraction job (clm.clauses.jobs), unless signed
``envelope.completed``      the order, schedules and renewal (clm.downstream.outbox);
                            its webhook (clm.webhooks)
``envelope.sent`` ...       the webhook of each envelope status change
``order.created``           its webhook
``order.cancelled``         its webhook
==========================  ===========================================================

``envelope.completed`` also carries a stamp: the commercial terms current at signing, frozen on
the event in the completing transaction.
"""

from __future__ import annotations

from clm import events, webhooks


def register(registry: events.Registry | None = None) -> events.Registry:
    """Register every subscriber and stamp (idempotent); return the registry."""
    from clm.clauses.jobs import on_version_stored
    from clm.downstream.orders import ORDER_CANCELLED, ORDER_CREATED
    from clm.downstream.outbox import (
        COMPLETED,
        freeze_commercial_terms,
        on_envelope_completed,
    )
    from clm.signing.webhooks import EVENTS as ENVELOPE_EVENTS
    from clm.versions.store import VERSION_STORED

    registry = registry or events.registry
    registry.subscribe(VERSION_STORED, on_version_stored)
    registry.stamp(COMPLETED, freeze_commercial_terms)
    registry.subscribe(COMPLETED, on_envelope_completed)
    for name in sorted(set(ENVELOPE_EVENTS.values())) + [ORDER_CREATED, ORDER_CANCELLED]:
        registry.subscribe(name, webhooks.on_event)
    registry.job = process_job
    return registry


def process_job(database_url: str) -> int:
    """The RQ job that drains events in a worker: registers the subscribers first (any worker will do)."""
    register()
    return events.process_job(database_url)
