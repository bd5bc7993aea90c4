"""The HTTP server layer: uvicorn's httptools protocol with its socket writes coalesced.

``toolkeep serve``, the test servers and the benchmark run uvicorn with
``--http toolkeep.serving.protocol:HttpProtocol`` (``HTTP_PROTOCOL``).
"""

from typing import Final

HTTP_PROTOCOL: Final = "toolkeep.serving.protocol:HttpProtocol"
