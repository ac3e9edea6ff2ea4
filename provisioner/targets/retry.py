"""When to try a request again, and how long to wait first: a pure policy.

429 and 503 honour Retry-After (seconds or an HTTP date), other 5xx, timeouts and resets
back off exponentially with full jitter, capped; any other 4xx is final. Attempts are
bounded; the last error is kept for the report.
"""

from __future__ import annotations

import email.utils
import random
import time
from dataclasses import dataclass

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
MAX_DELAY = 60.0


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    backoff: float = 0.5
    max_delay: float = MAX_DELAY

    def delay(self, attempt: int, retry_after: str | None = None, rng=random.random) -> float:
        """Seconds to wait before attempt `attempt + 1` (attempt counts from 1)."""
        hinted = parse_retry_after(retry_after)
        if hinted is not None:
            return min(hinted, self.max_delay)
        return min(self.max_delay, self.backoff * (2 ** (attempt - 1))) * (0.5 + rng() / 2)


def retryable(status: int | None) -> bool:
    """None stands for no answer at all (timeout, reset, refused): worth another try."""
    return status is None or status in RETRY_STATUSES


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (now if now is not None else time.time()))
