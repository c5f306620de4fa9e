"""The canonical alert model: CAP 1.2 shaped values, the event-sourced `Alert`, commands and rules.

Pure by rule: this package imports only the standard library, pydantic and `eventsourcing.domain`
(checked by `tests/unit/test_import_rules.py`), so it can be reasoned about and tested without I/O.
"""
