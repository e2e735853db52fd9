"""The baseline for bench/http_foundation.py: a bare Starlette app, one route, no database.

It answers about what GET /account answers (a small JSON object holding an account id), so the
difference between the two is what TariffConnect adds: FastAPI, the middleware, authentication
and the database round trip.

    uvicorn bench.bare_app:app --workers 1 --log-level info
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


async def root(_request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok", "id": "acc_0123456789abcdef01234567"})


app = Starlette(routes=[Route("/", root, methods=["GET"])])
