"""Logging filters for the site."""

import logging


class ExpectedRefusalsOneLine(logging.Filter):
    """Django logs every 403 and 404 with the exception's traceback; those answers are
    expected (a guessed id, a role's refusal), so they keep their one-line message only."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) in (403, 404) and record.exc_info:
            record.exc_info = None
            record.exc_text = None
        return True
