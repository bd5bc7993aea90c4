"""Validation of key labels, expiries, grace periods, reasons, and the active-key cap."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from toolkeep.keys.errors import (
    InvalidExpiry,
    InvalidGrace,
    InvalidLabel,
    InvalidReason,
    KeyLimitReached,
    LabelTaken,
)
from toolkeep.keys.models import (
    GRACE_PERIODS,
    MAX_ACTIVE_KEYS,
    MAX_LABEL,
    REVOKE_REASONS,
    ApiKey,
    KeyStatus,
)


def check_label(label: str) -> str:
    label = label.strip()
    if not label or len(label) > MAX_LABEL:
        raise InvalidLabel(f"A label is 1-{MAX_LABEL} characters.", field="label")
    if any(ord(c) < 32 or ord(c) == 127 for c in label):
        raise InvalidLabel("A label cannot contain control characters.", field="label")
    return label


def check_expiry(expires_at: datetime | None, now: datetime) -> datetime | None:
    if expires_at is None:
        return None
    if expires_at.tzinfo is None:
        raise InvalidExpiry(
            "expires_at needs a timezone (e.g. 2027-01-01T00:00:00Z).", field="expires_at"
        )
    if expires_at <= now:
        raise InvalidExpiry("expires_at must be in the future.", field="expires_at")
    return expires_at


def check_grace(grace: str) -> timedelta:
    period = GRACE_PERIODS.get(grace)
    if period is None:
        choices = ", ".join(GRACE_PERIODS)
        raise InvalidGrace(f"grace must be one of {choices}.", field="grace")
    return period


def check_reason(reason: str) -> str:
    if reason not in REVOKE_REASONS:
        choices = ", ".join(REVOKE_REASONS)
        raise InvalidReason(f"reason must be one of {choices}.", field="reason")
    return reason


def check_room(existing: Iterable[ApiKey], label: str, now: datetime) -> None:
    """Refuse a new active key past the cap or with a label an active key holds."""
    live = [k for k in existing if k.status(now) in (KeyStatus.ACTIVE, KeyStatus.ROLLING)]
    if any(k.label == label and k.holds_label(now) for k in live):
        raise LabelTaken(label)
    if sum(1 for k in live if k.status(now) is KeyStatus.ACTIVE) >= MAX_ACTIVE_KEYS:
        raise KeyLimitReached(
            f"This server already has {MAX_ACTIVE_KEYS} active keys, the maximum. "
            "Revoke one before creating another."
        )
