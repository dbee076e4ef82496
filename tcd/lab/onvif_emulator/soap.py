"""SOAP 1.2 plumbing: reading a request envelope, faults, and rendering responses from templates.

Requests are read namespace-agnostically by local name (clients differ in prefixes and some put
tt: elements where tds: ones belong); responses come from templates/lab/onvif_emulator/.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import jinja2
from lxml import etree

SOAP_ENV = "http://www.w3.org/2003/05/soap-envelope"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
TEMPLATES = Path(__file__).resolve().parents[3] / "templates" / "lab" / "onvif_emulator"

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


class SoapFaultError(Exception):
    """A fault to send back: `code` is env:Sender/env:Receiver, `subcodes` are ter: names."""

    def __init__(self, code: str, subcodes: list[str], reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.code = code
        self.subcodes = subcodes
        self.reason = reason
        self.status = status


def not_authorized(reason: str = "Sender not authorized") -> SoapFaultError:
    return SoapFaultError("Sender", ["NotAuthorized"], reason)


def invalid_arg(reason: str, specific: str = "InvalidArgVal") -> SoapFaultError:
    subcodes = ["InvalidArgVal"] if specific == "InvalidArgVal" else ["InvalidArgVal", specific]
    return SoapFaultError("Sender", subcodes, reason)


def action_not_supported(operation: str) -> SoapFaultError:
    return SoapFaultError(
        "Receiver", ["ActionNotSupported"], f"Optional action {operation} not implemented", 400
    )


@dataclass
class Request:
    operation: str
    namespace: str
    body: etree._Element  # the operation element
    token: etree._Element | None  # wsse:UsernameToken, when the client sent one


def parse_request(payload: bytes) -> Request:
    try:
        root = etree.fromstring(payload, _PARSER)
    except etree.XMLSyntaxError as err:
        raise SoapFaultError("Sender", ["WellFormed"], f"Not well-formed XML: {err}") from err
    if etree.QName(root).localname != "Envelope":
        raise SoapFaultError("Sender", ["WellFormed"], "The root element is not a SOAP Envelope")
    body = child(root, "Body")
    operation = None if body is None else next(elements(body), None)
    if operation is None:
        raise SoapFaultError("Sender", ["WellFormed"], "The SOAP Body holds no operation")
    header = child(root, "Header")
    security = None if header is None else child(header, "Security")
    token = None if security is None else child(security, "UsernameToken")
    name = etree.QName(operation)
    return Request(name.localname, name.namespace or "", operation, token)


def elements(parent: etree._Element) -> Iterator[etree._Element]:
    return (e for e in parent if isinstance(e.tag, str))


def children(parent: etree._Element, name: str) -> list[etree._Element]:
    return [e for e in elements(parent) if etree.QName(e).localname == name]


def child(parent: etree._Element | None, *path: str) -> etree._Element | None:
    node = parent
    for name in path:
        if node is None:
            return None
        node = next((e for e in elements(node) if etree.QName(e).localname == name), None)
    return node


def text(parent: etree._Element | None, *path: str, default: str | None = None) -> str | None:
    node = child(parent, *path)
    if node is None or node.text is None:
        return default
    return node.text.strip()


def boolean(value: str | None, field: str) -> bool:
    if value in {"true", "1"}:
        return True
    if value in {"false", "0"}:
        return False
    raise invalid_arg(f"{field} must be a boolean, got {value!r}")


def integer(value: str | None, field: str) -> int:
    try:
        return int(value or "")
    except ValueError:
        raise invalid_arg(f"{field} must be an integer, got {value!r}") from None


def render(template: str, **values: object) -> bytes:
    envelope = _ENV.get_template("envelope.xml.j2")
    return envelope.render(body_template=template, **values).encode("utf-8")


def render_fault(fault: SoapFaultError) -> bytes:
    return render("fault.xml.j2", fault=fault)
