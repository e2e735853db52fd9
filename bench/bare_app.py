"""Baselines: a bare Starlette app (`app`) and a FastAPI no-op route (`fastapi_app`), no database.

It answers about what GET /account answers (a small JSON object holding an account id), so the
difference between the two is what TariffConnect adds: FastAPI, the middleware, authentication
and the database round trip.

    uvicorn bench.bare_app:app --workers 1 --log-level info
    uvicorn bench.bare_app:fastapi_app --workers 1 --log-level info
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


async def root(_request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok", "id": "acc_0123456789abcdef01234567"})


app = Starlette(routes=[Route("/", root, methods=["GET"])])


# The FastAPI baseline: the same answer from a FastAPI app's plain `async def` route, which is
# what a user who writes their own service on FastAPI gets before any work of their own.
fastapi_app = FastAPI()


@fastapi_app.get("/")
async def noop() -> dict[str, str]:
    return {"status": "ok", "id": "acc_0123456789abcdef01234567"}
