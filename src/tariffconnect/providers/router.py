"""Providers: /providers, a read-only catalogue shared by every account."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Query, Request
from starlette.responses import Response

from tariffconnect.auth.context import Api
from tariffconnect.auth.routing import api_router
from tariffconnect.core.errors import invalid
from tariffconnect.core.pagination import ListObject, PageParams, page_in_memory, page_params
from tariffconnect.providers import catalogue, logo
from tariffconnect.providers.schemas import Provider, ProviderOut
from tariffconnect.runtime import public_base_url

router = api_router(prefix="/providers", tags=["Providers"])
Page = Annotated[PageParams, Depends(page_params)]
LOGO_MAX_AGE = 86400  # the catalogue changes only with a release or a restart
ERROR = {"schema": {"$ref": "#/components/schemas/ErrorObject"}}


class SvgResponse(Response):
    media_type = "image/svg+xml"


def render(request: Request, provider: Provider) -> ProviderOut:
    return ProviderOut(
        id=provider.id,
        display_name=provider.display_name,
        country_code=provider.country_code,
        states=list(provider.states),
        integration_type=provider.integration_type,
        website_url=provider.website_url,
        logo_url=f"{public_base_url(request)}{logo.path(provider.id)}",
    )


@router.get("", name="provider_list", response_model=ListObject[ProviderOut], summary="List")
def list_providers(
    api: Api,
    request: Request,
    page: Page,
    country_code: Annotated[
        str | None, Query(pattern=r"^[A-Za-z]{2}$", description="ISO 3166-1 alpha-2, any case.")
    ] = None,
    state: Annotated[
        str | None,
        Query(
            pattern=r"^[A-Za-z0-9]{1,3}$",
            description="ISO 3166-2 subdivision code without the country (CA); needs "
            "country_code. Providers serving the whole country match every state.",
        ),
    ] = None,
    keywords: Annotated[
        str | None,
        Query(max_length=100, description="Part of the name; case and accents are ignored."),
    ] = None,
) -> dict[str, Any]:
    """Providers matching every filter given, by id descending (like every list)."""
    # `api` only authenticates: the catalogue is the same for every account and mode.
    if state is not None and country_code is None:
        # Subdivision codes repeat across countries (CA: California, and Cádiz in Spain).
        raise invalid("country_code_missing", "state needs country_code.")
    found = catalogue.search(country_code=country_code, state=state, keywords=keywords)
    rows, has_more = page_in_memory(found, page)
    data = [render(request, provider) for provider in rows]
    return {"object": "list", "url": "/providers", "has_more": has_more, "data": data}


@router.get("/{provider_id}", name="provider_retrieve", summary="Retrieve")
def retrieve(api: Api, request: Request, provider_id: str) -> ProviderOut:
    """One provider."""
    return render(request, catalogue.get_or_raise(provider_id))


@router.get(
    "/{provider_id}/logo.svg",
    name="provider_logo",
    response_class=SvgResponse,
    summary="Logo",
    responses={
        200: {"description": "An SVG badge with the provider's initials."},
        # Spelled out: FastAPI would give the app-wide error response this route's SVG type.
        "default": {"description": "An error object.", "content": {"application/json": ERROR}},
    },
)
def logo_svg(provider_id: str) -> Response:
    """The provider's badge. Public, unlike the rest of the API: it is shown in `<img>` tags,
    which cannot send a bearer token, and it reveals only what the catalogue already ships."""
    provider = catalogue.get_or_raise(provider_id)
    headers = {
        "Cache-Control": f"public, max-age={LOGO_MAX_AGE}",
        # Opened directly, an SVG is a document: allow no scripts or loads, just drawing.
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
        "X-Content-Type-Options": "nosniff",
    }
    return SvgResponse(logo.render_svg(provider), headers=headers)
