"""Push: subscriptions by area, matched against the canonical stream, sent by webhook or e-mail.

A subscription is confirmed before anything is sent to it; a matcher follows the stream and queues
one delivery per (event, subscription) in the same transaction as its position, so a restart never
queues twice; a delivery worker sends them in order per alert and subscription, at least once, with
the event id as the idempotency key the receiver deduplicates on.
"""
