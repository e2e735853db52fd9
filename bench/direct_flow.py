"""The DIRECT Connect flow end to end against a local auth module: server time per step and
per flow, without the module's own time (issue 12: p50 <= 100 ms).

A real `tariffconnect serve` (PostgreSQL by default) and the tests' module process
(tests/integrations/module_server.py, kept-alive HTTP/1.1), bound to a provider by the
operator's command. Each of N customers, one after the other, walks the flow as the browser
does: `session_start` -> `provider_select` (answers the module's entry) -> GET the module's
entry (the module asks Connect for the page) -> POST the login form (the module sends
`auth_metadata_capture`) -> POST consent (the module sends `consent_capture`; the server pulls
`/api/tariff_plan` from the module and stores the tariff) -> `session_start` (the summary).

Server time of a step the browser sends to Connect is its wall time. For a step the browser
sends to the module, it is the wall time of the module's call to Connect, as the module timed
it (its `X-Connect-Ms` answer header: from opening the connection to the last byte read, so
the module's HTTP client stays in and the figure errs high); for consent, less the module's
`POST /api/tariff_plan` p50 measured alone in the same run (Connect waits for that pull).
The earlier estimate, a step's wall time less one `GET /health` of the module (its HTTP
floor), is reported beside it: it counts the module's own page work as Connect's.

    .venv/bin/python bench/direct_flow.py --flows 100
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import time
from pathlib import Path

import httpx

from common import (
    BIN_DIR,
    add_database_arguments,
    auth_headers,
    create_account,
    in_work_folder,
    machine_facts,
    new_parser,
    post_json,
    serve_tariffconnect,
    start_run,
    write_markdown,
)
from connect_flow import ADDRESS, CALLBACK, plain_provider
from direct_refresh import module_process

CONNECT_URL = "https://app.example.com/connect"
STEPS = ("session_start", "provider_select", "module entry", "login", "consent", "summary")
MODULE_STEPS = {"module entry", "login", "consent"}


def _ms(began: float) -> float:
    return (time.perf_counter() - began) * 1000


def page(client: httpx.Client, body: dict[str, object]) -> dict[str, object]:
    """One POST to /connect/flow as the front end sends it (JSON text, no Content-Type)."""
    response = client.post("/connect/flow", content=json.dumps(body))
    if response.status_code != 200:
        raise SystemExit(f"flow answered {response.status_code}: {response.text[:300]}")
    answer: dict[str, object] = response.json()
    return answer


def one_flow(
    api: httpx.Client, module: httpx.Client, provider_id: str, token: str
) -> tuple[dict[str, float], dict[str, float]]:
    """Walk one session's flow (every answer checked): wall ms per step, and for the steps
    the module serves, the ms of its call to Connect as it timed it."""
    times: dict[str, float] = {}
    inside: dict[str, float] = {}
    began = time.perf_counter()
    assert page(api, {"route": "session_start", "connect_token": token})["route"] == (
        "provider_select"
    )
    times["session_start"] = _ms(began)
    began = time.perf_counter()
    chosen = page(
        api,
        {
            "route": "provider_select",
            "connect_token": token,
            "type": "submit",
            "data": {"provider": {"id": provider_id}},
        },
    )
    times["provider_select"] = _ms(began)
    entry = str(chosen["data"]["redirect_url"])  # type: ignore[index]
    began = time.perf_counter()
    shown = module.get(entry)
    times["module entry"] = _ms(began)
    inside["module entry"] = float(shown.headers["X-Connect-Ms"])
    assert 'data-route="auth_metadata_capture"' in shown.text, shown.text[:300]
    began = time.perf_counter()
    form = {"login": "alice", "password": "secret"}
    shown = module.post(f"/auth_metadata_capture?fp_cot={token}", data=form)
    times["login"] = _ms(began)
    inside["login"] = float(shown.headers["X-Connect-Ms"])
    found = re.search(r'"auth_metadata_id": "([^"]+)"', shown.text.replace("&quot;", '"'))
    assert found is not None, shown.text[:300]
    began = time.perf_counter()
    back = module.post(
        f"/consent_capture?fp_cot={token}", data={"auth_metadata_id": found.group(1)}
    )
    times["consent"] = _ms(began)
    inside["consent"] = float(back.headers["X-Connect-Ms"])
    assert back.status_code == 302, back.text[:300]
    began = time.perf_counter()
    summary = page(api, {"route": "session_start", "connect_token": token})
    times["summary"] = _ms(began)
    assert summary["route"] == "tariff_summary", summary
    assert summary["data"]["connection_type"] == "DIRECT"  # type: ignore[index]
    return times, inside


def module_times(module: httpx.Client, count: int) -> tuple[list[float], list[float]]:
    """The module alone: ms of `GET /health` and of `POST /api/tariff_plan`, `count` each."""
    health, plan = [], []
    body = {"auth_metadata": {"data": {"login": "alice", "password": "secret"}}}
    for _ in range(count):
        began = time.perf_counter()
        module.get("/health").raise_for_status()
        health.append(_ms(began))
        began = time.perf_counter()
        module.post("/api/tariff_plan", json=body).raise_for_status()
        plan.append(_ms(began))
    return health, plan


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run(args: argparse.Namespace, work: Path) -> int:
    load_before = start_run(needs_wrk=False)
    provider_id = plain_provider()
    env = {"TARIFFCONNECT_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8"}
    rows: list[str] = []
    with serve_tariffconnect(work, args.database, args.postgres_url, env=env) as server:
        process, module_url = module_process(
            work, keep_alive=True, connect_api=f"{server.base_url}/connect/flow"
        )
        try:
            subprocess.run(
                [
                    str(BIN_DIR / "tariffconnect"),
                    "provider",
                    "auth-module",
                    provider_id,
                    module_url,
                ],
                env=server.env,
                check=True,
                capture_output=True,
            )
            account = create_account(server.env)
            _, bearer = auth_headers(server.base_url, account)
            with (
                httpx.Client(base_url=server.base_url, headers=bearer, timeout=60) as api,
                httpx.Client(base_url=module_url, timeout=60) as module,
            ):
                tokens = []
                for _ in range(args.flows + args.warmup):
                    location = post_json(api, "/locations", {"postal_address": ADDRESS}, expect=201)
                    body = {
                        "location_id": location["id"],
                        "connect_url": CONNECT_URL,
                        "callback_url": CALLBACK,
                    }
                    tokens.append(post_json(api, "/connect", body, expect=200)["id"])
                flows = [one_flow(api, module, provider_id, t) for t in tokens]
                flows = flows[args.warmup :]
                health, plan = module_times(module, args.flows)
        finally:
            process.terminate()
            process.wait(timeout=10)
    module_floor, plan_p50 = statistics.median(health), statistics.median(plan)
    floor = {step: module_floor if step in MODULE_STEPS else 0.0 for step in STEPS}
    floor["consent"] += plan_p50
    server = [
        {
            step: inside[step] - (plan_p50 if step == "consent" else 0.0)
            if step in MODULE_STEPS
            else times[step]
            for step in STEPS
        }
        for times, inside in flows
    ]
    for step in STEPS:
        wall = [times[step] for times, _ in flows]
        server_ms = [s[step] for s in server]
        estimate = [w - floor[step] for w in wall]
        rows.append(
            f"| {step} | {pct(wall, 0.5):.1f} | {pct(wall, 0.99):.1f} "
            f"| {pct(server_ms, 0.5):.1f} | {pct(server_ms, 0.99):.1f} "
            f"| {pct(estimate, 0.5):.1f} |"
        )
    totals = [sum(times.values()) for times, _ in flows]
    server_totals = [sum(s.values()) for s in server]
    estimates = [t - sum(floor.values()) for t in totals]
    rows.append(
        f"| **whole flow** | {pct(totals, 0.5):.1f} | {pct(totals, 0.99):.1f} "
        f"| **{pct(server_totals, 0.5):.1f}** | {pct(server_totals, 0.99):.1f} "
        f"| {pct(estimates, 0.5):.1f} |"
    )
    table = [
        f"DIRECT Connect flow, {args.flows} flows after {args.warmup} warm-up, one at a time, "
        f"{args.database}; module alone: GET /health p50 {module_floor:.1f} ms, "
        f"POST /api/tariff_plan p50 {plan_p50:.1f} ms",
        "",
        "| step | wall p50 ms | wall p99 ms | server p50 ms | server p99 ms "
        "| wall - module floor p50 ms |",
        "|---|---:|---:|---:|---:|---:|",
        *rows,
    ]
    facts = machine_facts(args, load_before=load_before, databases=[args.database])
    write_markdown("direct_flow", ["\n".join(table), "\n".join(facts)])
    print("\n".join(table))
    return 0


def main() -> int:
    parser = new_parser(__doc__ or "")
    add_database_arguments(parser, choose=False)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="postgresql")
    parser.add_argument("--flows", type=int, default=100, help="timed flows")
    parser.add_argument("--warmup", type=int, default=10, help="untimed flows first")
    args = parser.parse_args()
    return in_work_folder(lambda work: run(args, work))


if __name__ == "__main__":
    raise SystemExit(main())
