"""Objects that hold a plaintext secret never show it in ``repr`` (logs, tracebacks)."""

from __future__ import annotations

import uuid

from toolkeep.accounts.models import AccessToken, MintedToken
from toolkeep.crypto import tokens
from toolkeep.keys.models import ApiKey, MintedKey
from toolkeep.servers.models import SecurityMode, Server
from toolkeep.store.types import utcnow


def test_a_minted_api_key_repr_hides_the_plaintext() -> None:
    token = tokens.mint("tk")
    key = ApiKey(
        kid=token.kid,
        server_id=uuid.uuid4(),
        label="laptop",
        last4=token.last4,
        created_at=utcnow(),
    )
    minted = MintedKey(key=key, plaintext=token.plaintext)

    shown = repr(minted) + str(minted) + f"{minted!r}"

    assert token.secret not in shown
    assert token.plaintext not in shown
    assert token.kid in shown


def test_a_minted_access_token_repr_hides_the_plaintext() -> None:
    token = tokens.mint("tkpat")
    record = AccessToken(
        kid=token.kid, user_id=uuid.uuid4(), label="cli", last4=token.last4, created_at=utcnow()
    )
    minted = MintedToken(token=record, plaintext=token.plaintext)

    assert token.secret not in repr(minted) + str(minted)


def test_a_server_repr_hides_its_sealed_unlisted_secret() -> None:
    now = utcnow()
    server = Server(
        id=uuid.uuid4(),
        owner_id=uuid.uuid4(),
        name="Weather",
        subdomain="weather",
        description="",
        security_mode=SecurityMode.UNLISTED,
        created_at=now,
        updated_at=now,
        unlisted_secret=b"\x01sealed-bytes",
    )

    assert "sealed-bytes" not in repr(server)
    assert "weather" in repr(server)
