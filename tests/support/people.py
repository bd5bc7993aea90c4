"""Users with personal access tokens, for driving the REST API as them."""

from __future__ import annotations

from dataclasses import dataclass

from toolkeep.context import AppContext


@dataclass(frozen=True)
class Person:
    email: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def make_person(ctx: AppContext, email: str, *, admin: bool = False) -> Person:
    ctx.accounts.create_user(email, "correct horse battery", is_admin=admin)
    return Person(email, ctx.accounts.create_token(email, "tests").plaintext)
