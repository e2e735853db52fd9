"""deliver(): one webhook POST against a real HTTP(S) receiver on 127.0.0.1."""

import asyncio
import datetime as dt
import ipaddress
import socket
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from cryptography.x509.oid import NameOID

from tariffconnect.webhooks import transport
from tariffconnect.webhooks.transport import (
    CONNECTION_FAILED,
    HTTP_STATUS,
    NOT_ALLOWED,
    TIMEOUT,
    TLS_ERROR,
    DeliveryResult,
    deliver,
)
from tariffconnect.webhooks.urls import parse_allowed_networks

PEM, PKCS8 = Encoding.PEM, PrivateFormat.PKCS8
LOOPBACK = (ipaddress.ip_network("127.0.0.1/32"),)


class Handler(BaseHTTPRequestHandler):
    server: "Receiver"

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.requests.append((self.path, dict(self.headers), body))
        if self.path == "/slow":
            time.sleep(2)
        status = {"/fail": 500, "/redirect": 302}.get(self.path, 200)
        payload = b"x" * (1 << 20) if self.path == "/big" else b"ok"
        self.send_response(status)
        if status == 302:
            self.send_header("Location", "/target")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST

    def log_message(self, *args):
        pass


class Receiver(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, tls: ssl.SSLContext | None = None):
        super().__init__(("127.0.0.1", 0), Handler)
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        self.connections = 0
        if tls is not None:
            self.socket = tls.wrap_socket(self.socket, server_side=True)

    def get_request(self):
        self.connections += 1  # counted before any TLS handshake or HTTP parsing
        return super().get_request()

    def handle_error(self, request, client_address):
        pass  # e.g. a broken pipe when deliver() stops reading /big after 64 KiB

    @property
    def port(self) -> int:
        return self.server_address[1]


def running(server: Receiver):
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def receiver():
    yield from running(Receiver())


def post(url: str, **kwargs) -> DeliveryResult:
    """One delivery; the receivers here are on loopback, which the operator allows unless a
    test says otherwise."""
    kwargs.setdefault("allow", LOOPBACK)
    return asyncio.run(deliver(url, body=b'{"id":"evt_1"}', headers={"X-Sig": "v1,abc"}, **kwargs))


def test_success_reports_200_and_sends_body_and_headers(receiver):
    result = post(f"http://127.0.0.1:{receiver.port}/hook?a=1")
    assert result.status == 200 and result.error is None and result.latency_ms >= 0
    ((path, headers, body),) = receiver.requests
    assert (path, body) == ("/hook?a=1", b'{"id":"evt_1"}')
    assert headers["X-Sig"] == "v1,abc" and headers["User-Agent"] == "TariffConnect-Webhooks/1"
    assert headers["Content-Type"] == "application/json"


def test_server_error_is_reported_not_raised(receiver):
    result = post(f"http://127.0.0.1:{receiver.port}/fail")
    assert (result.status, result.error) == (500, HTTP_STATUS)


def test_slow_receiver_times_out(receiver):
    started = time.monotonic()
    result = post(f"http://127.0.0.1:{receiver.port}/slow", timeout=0.5)
    assert (result.status, result.error) == (None, TIMEOUT)
    assert time.monotonic() - started < 1.5


def test_connection_refused_is_a_result():
    closed = Receiver()
    port = closed.port
    closed.server_close()
    result = post(f"http://127.0.0.1:{port}/hook")
    # Only the category: the transport's text would tell a closed port from an open one.
    assert (result.status, result.error) == (None, CONNECTION_FAILED)


def test_redirects_are_not_followed(receiver):
    result = post(f"http://127.0.0.1:{receiver.port}/redirect")
    assert (result.status, result.error) == (302, HTTP_STATUS)
    assert [path for path, _, _ in receiver.requests] == ["/redirect"]


def test_large_answers_are_read_only_in_part(receiver):
    assert post(f"http://127.0.0.1:{receiver.port}/big").status == 200


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "localhost",
        "[::1]",
        "0.0.0.0",
        "169.254.169.254",
        "10.0.0.1",
        "[::ffff:127.0.0.1]",
        "[64:ff9b::7f00:1]",
        "[2002:7f00:1::]",
    ],
)
def test_internal_destinations_are_refused_without_connecting(receiver, host):
    result = post(f"http://{host}:{receiver.port}/hook", allow=(), timeout=2)
    assert (result.status, result.error) == (None, NOT_ALLOWED)
    assert receiver.connections == 0


def fake_dns(monkeypatch, answers: dict[str, list[str]]) -> list[str]:
    asked: list[str] = []

    async def resolve(host, port):
        asked.append(host)
        return [ipaddress.ip_address(a) for a in answers[host]]

    monkeypatch.setattr(transport, "resolve", resolve)
    return asked


def test_a_hostname_is_refused_if_any_address_is_internal(receiver, monkeypatch):
    fake_dns(monkeypatch, {"hooks.example": ["93.184.216.34", "127.0.0.1"]})
    result = post(f"http://hooks.example:{receiver.port}/hook", allow=())
    assert (result.status, result.error, receiver.connections) == (None, NOT_ALLOWED, 0)


def test_allow_list_lets_an_internal_address_through(receiver):
    result = post(f"http://127.0.0.1:{receiver.port}/hook", allow=LOOPBACK)
    assert (result.status, len(receiver.requests)) == (200, 1)


def test_it_connects_to_the_checked_address_with_the_original_host(receiver, monkeypatch):
    # "rebind.invalid" does not exist in real DNS: the delivery only works because we connect
    # to the address we resolved and checked, never letting httpx resolve the name again.
    asked = fake_dns(monkeypatch, {"rebind.invalid": ["127.0.0.1"]})
    url = f"http://rebind.invalid:{receiver.port}/hook"
    assert post(url).status == 200
    assert asked == ["rebind.invalid"]
    ((_, headers, _),) = receiver.requests
    assert headers["Host"] == f"rebind.invalid:{receiver.port}"


def test_unresolvable_hosts_and_bad_urls_are_results(monkeypatch):
    async def no_such_host(host, port):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(transport, "resolve", no_such_host)
    assert post("https://nowhere.invalid/").error == CONNECTION_FAILED
    assert (post("ftp://example.com/").status, post("ftp://example.com/").error) == (
        None,
        CONNECTION_FAILED,
    )


def test_allowed_networks_setting_is_parsed():
    assert parse_allowed_networks(" 10.1.0.0/16, fd00::/8 ,") == (
        ipaddress.ip_network("10.1.0.0/16"),
        ipaddress.ip_network("fd00::/8"),
    )
    assert parse_allowed_networks("") == ()
    with pytest.raises(ValueError):
        parse_allowed_networks("10.0.0.0/33")


def test_a_name_for_loopback_is_delivered_to_with_the_operators_leave(receiver):
    assert post(f"http://localhost:{receiver.port}/hook").status == 200
    assert post(f"http://localhost:{receiver.port}/hook", allow=()).error == NOT_ALLOWED


# -- TLS: SNI and certificate checks use the hostname while we connect to the IP -------------


@pytest.fixture
def tls_receiver(monkeypatch, tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hooks.example")])
    now = dt.datetime.now(dt.UTC)
    builder = x509.CertificateBuilder(name, name, key.public_key(), x509.random_serial_number())
    cert = (
        builder.not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("hooks.example")]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(PEM)
    (tmp_path / "cert.pem").write_bytes(cert_pem)
    (tmp_path / "key.pem").write_bytes(key.private_bytes(PEM, PKCS8, NoEncryption()))
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    seen_sni: list[str | None] = []
    server_ctx.sni_callback = lambda sock, sni, ctx: seen_sni.append(sni)
    client_ctx = ssl.create_default_context(cadata=cert_pem.decode())
    monkeypatch.setattr(transport, "ssl_context", lambda: client_ctx)
    server = Receiver(tls=server_ctx)
    server.seen_sni = seen_sni
    yield from running(server)


def test_https_uses_the_hostname_for_sni_and_certificate(tls_receiver, monkeypatch):
    fake_dns(monkeypatch, {"hooks.example": ["127.0.0.1"], "other.example": ["127.0.0.1"]})
    port = tls_receiver.port
    ok = post(f"https://hooks.example:{port}/hook")
    assert ok.status == 200 and tls_receiver.seen_sni == ["hooks.example"]
    assert tls_receiver.requests[0][1]["Host"] == f"hooks.example:{port}"
    # Same IP, a name the certificate does not cover: verification fails, nothing is sent.
    wrong = post(f"https://other.example:{port}/hook")
    assert (wrong.status, wrong.error) == (None, TLS_ERROR)
    assert len(tls_receiver.requests) == 1
