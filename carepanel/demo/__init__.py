"""The demo: ``carepanel demo`` (``run``) and the invented forms it and the tests send (``samples``).

Re-exports what the command line, the tests and the benches use, so they need not know which
module of the package holds it.
"""

from .run import CONFIG, PANEL, STAFF, backup_settings, compose_email, run_demo, supporting_document

__all__ = ["CONFIG", "PANEL", "STAFF", "backup_settings", "compose_email", "run_demo", "supporting_document"]
