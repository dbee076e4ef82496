"""The ONVIF web listeners: HTTP and HTTPS, opened and closed as SetNetworkProtocols says.

Each listener is a ThreadingHTTPServer in a thread of its own. Closing one (HTTP disabled)
also cuts its open keep-alive connections, so "disabled" really means nothing answers there.
"""

import contextlib
import re
import socket
import socketserver
import ssl
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from . import device_service, media_service, soap
from .auth import authenticate, require_level
from .device import Device
from .device_service import DEVICE_PATH, MEDIA_PATH, Call
from .settings import CameraSettings
from .soap import SoapFaultError

SERVICES = {DEVICE_PATH: device_service.OPERATIONS, MEDIA_PATH: media_service.OPERATIONS}
MAX_REQUEST = 1 << 20
CERT_FILE = "https-cert.pem"
KEY_FILE = "https-key.pem"
_HOST_HEADER = re.compile(r"^[A-Za-z0-9.\-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$")


def ensure_certificate(state_dir: Path, name: str, address: str) -> tuple[Path, Path]:
    """A self-signed certificate made at first start and kept, as a camera's own would be."""
    cert, key = state_dir / CERT_FILE, state_dir / KEY_FILE
    if not (cert.exists() and key.exists()):
        state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        subprocess.run(
            [
                "openssl", "req", "-x509", "-newkey", "ec",
                "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", str(key), "-out", str(cert), "-days", "3650",
                "-subj", f"/O=tcd-fleet lab/CN={name}",
                "-addext", f"subjectAltName=IP:{address}",
            ],
            check=True,
            capture_output=True,
        )  # fmt: skip
        key.chmod(0o600)
    return cert, key


def dispatch(device: Device, path: str, payload: bytes, base_url: str) -> tuple[int, bytes, str]:
    """(HTTP status, response envelope, log line without any secret) for one SOAP request."""
    operations = SERVICES[path]
    operation, who = "?", "-"
    try:
        request = soap.parse_request(payload)
        operation = request.operation
        entry = operations.get(operation)
        if entry is None:
            raise soap.action_not_supported(operation)
        handler, level = entry
        user = None
        if level is not None:
            # the name tried, even when it fails: usernames are not secrets, passwords are
            who = soap.text(request.token, "Username", default="-") or "-"
            settings = device.snapshot()
            user = authenticate(request.token, settings.users, device.now(), device.lockout)
            require_level(user, level, operation)
        body = handler(Call(device, request.body, user, base_url))
    except SoapFaultError as fault:
        line = f"{operation} user={who} fault={':'.join(fault.subcodes)} ({fault.reason})"
        return fault.status, soap.render_fault(fault), line
    except Exception as err:  # a bug here must still answer, and show up in the log
        fault = SoapFaultError("Receiver", ["Action"], f"internal error: {type(err).__name__}", 500)
        return 500, soap.render_fault(fault), f"{operation} user={who} internal error {err!r}"
    return 200, body, f"{operation} user={who} ok"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    device: Device
    scheme: str
    tls: ssl.SSLContext | None
    listeners: "WebListeners"

    def __init__(self, address: tuple[str, int], handler: type) -> None:
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind would ask DNS for the address's name (socket.getfqdn): a query
        # to the machine's resolver, which lab traffic must never reach
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def process_request(self, request, client_address) -> None:
        with self.connections_lock:
            self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request) -> None:
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request, client_address) -> None:
        error = sys.exc_info()[1]
        self.device.log(f"{self.scheme} connection from {client_address[0]} failed: {error!r}")

    def cut_connections(self) -> None:
        with self.connections_lock:
            open_now = list(self.connections)
        for connection in open_now:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "tcd-lab-camera/1.0"
    sys_version = ""
    timeout = 30
    server: _Server

    def setup(self) -> None:
        if self.server.tls is not None:
            # TLS handshakes happen here, in the connection's thread, not in the accept loop
            self.request.settimeout(self.timeout)
            self.request = self.server.tls.wrap_socket(self.request, server_side=True)
        super().setup()

    def log_message(self, format: str, *args: object) -> None:
        pass  # one line per SOAP call is logged by do_POST instead

    def _base_url(self) -> str:
        host = self.headers.get("Host", "")
        if not _HOST_HEADER.match(host):
            host = "{}:{}".format(*self.server.server_address[:2])
        return f"{self.server.scheme}://{host}"

    def do_POST(self) -> None:
        path = self.path.split("?", 1)[0]
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            length = -1
        if path not in SERVICES or not 0 < length <= MAX_REQUEST:
            self._reply(404 if path not in SERVICES else 400, b"", "text/plain")
            return
        payload = self.rfile.read(length)
        status, body, line = dispatch(self.server.device, path, payload, self._base_url())
        self.server.device.log(f"{self.server.scheme} {line}")
        self._reply(status, body, "application/soap+xml; charset=utf-8")

    def do_GET(self) -> None:
        self._reply(405, b"", "text/plain")

    def _reply(self, status: int, body: bytes, content_type: str) -> None:
        # other listeners change before the reply, so a client that reads "done" finds it done;
        # this connection's own listener only after the reply has left
        self.server.listeners.reconcile(self.server.device.snapshot(), keep=self.server)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()
        self.server.listeners.reconcile(self.server.device.snapshot())


class WebListeners:
    """The HTTP and HTTPS listeners, kept in line with the protocols in the settings."""

    def __init__(self, device: Device, cert: Path, key: Path) -> None:
        self.device = device
        self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.tls.load_cert_chain(cert, key)
        self.running: dict[str, tuple[int, _Server, threading.Thread]] = {}
        self._lock = threading.Lock()

    def reconcile(self, settings: CameraSettings, keep: "_Server | None" = None) -> None:
        with self._lock:
            for scheme in ("HTTP", "HTTPS"):
                wanted = settings.protocols[scheme]
                current = self.running.get(scheme)
                if current and current[1] is keep:
                    continue
                if current and (not wanted.enabled or current[0] != wanted.port):
                    self._stop(scheme)
                if wanted.enabled and scheme not in self.running:
                    self._start(scheme, wanted.port)

    def _start(self, scheme: str, port: int) -> None:
        try:
            server = _Server((self.device.address, port), _Handler)
        except OSError as err:
            self.device.log(f"cannot listen for {scheme} on port {port}: {err}")
            return
        server.device, server.scheme = self.device, scheme.lower()
        server.tls = self.tls if scheme == "HTTPS" else None
        server.listeners = self
        thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True
        )
        thread.start()
        self.running[scheme] = (port, server, thread)
        self.device.log(f"{scheme} listening on {self.device.address}:{port}")

    def _stop(self, scheme: str) -> None:
        port, server, thread = self.running.pop(scheme)
        server.shutdown()
        server.server_close()
        server.cut_connections()
        thread.join(timeout=1)
        self.device.log(f"{scheme} closed on port {port}")

    def close(self) -> None:
        with self._lock:
            for scheme in list(self.running):
                self._stop(scheme)
