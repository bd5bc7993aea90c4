from __future__ import annotations

from toolkeep.errors import Conflict, InvalidInput, NotFound


class ServerNotFound(NotFound):
    code = "server_not_found"

    def __init__(self, subdomain: str) -> None:
        super().__init__(f"No server with subdomain '{subdomain}' is visible to you.")


class SubdomainTaken(Conflict):
    code = "subdomain_taken"

    def __init__(self, subdomain: str) -> None:
        super().__init__(
            f"The subdomain '{subdomain}' is already in use; pick another.", field="subdomain"
        )


class InvalidServerField(InvalidInput):
    code = "invalid_server_field"
