"""A VEN as a device maker would write it with the PyPI `openadr3-client` library (OpenADR
3.0.1). Run by tests/openadr/test_ven_e2e.py in its own Python 3.12+ virtualenv, so it
imports nothing of TariffConnect.

It reads the VTN's programs and events with client credentials, and prints what it read (as
the library's models dump it) as one JSON line per poll; it polls again on each line read
from stdin, with the same client (and its cached access token), until stdin closes.
"""

import json
import os
import sys

from openadr3_client.ven.http_factory import VirtualEndNodeHttpClientFactory
from openadr3_client.version import OADRVersion
from requests import HTTPError

base = os.environ["VTN_BASE_URL"]
ven = VirtualEndNodeHttpClientFactory.create_http_ven_client(
    vtn_base_url=base,
    client_id=os.environ["VEN_CLIENT_ID"],
    client_secret=os.environ["VEN_CLIENT_SECRET"],
    token_url=f"{base}/auth/token",
    version=OADRVersion.OADR_301,
)


def status_of(read):
    try:
        read()
    except HTTPError as error:
        return error.response.status_code
    return 200


def poll():
    programs = ven.programs.get_programs(target=None, pagination=None)
    events = ven.events.get_events(target=None, pagination=None, program_id=programs[0].id)
    return {
        "programs": [p.model_dump(mode="json", by_alias=True) for p in programs],
        "events": [e.model_dump(mode="json", by_alias=True) for e in events],
        "event": ven.events.get_event_by_id(events[0].id).model_dump(mode="json", by_alias=True),
        "other_program_status": status_of(
            lambda: ven.programs.get_program_by_id(os.environ["OTHER_PROGRAM_ID"])
        ),
    }


print(json.dumps(poll()), flush=True)
for _line in sys.stdin:
    print(json.dumps(poll()), flush=True)
