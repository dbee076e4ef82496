"""A real ONVIF client (onvif-zeep-async) run inside the lab camera's namespace, for
tests/test_onvif_emulator.py.

Usage: onvif_emulator_client.py ADDRESS < snippet. The snippet is the body of an async function with
`connect`, `camera`, `expect_fault` and a `result` dict in scope; `result` is printed as JSON.
"""

import asyncio
import json
import sys
import textwrap
from datetime import datetime

import zeep.exceptions
import zeep.helpers
from onvif import ONVIFCamera
from onvif.util import is_auth_error

ADDRESS = sys.argv[1]
OPENED: list[ONVIFCamera] = []


def camera(
    user: str, password: str, scheme: str = "https", port: int = 443, adjust_time: bool = True
) -> ONVIFCamera:
    cam = ONVIFCamera(f"{scheme}://{ADDRESS}", port, user, password, adjust_time=adjust_time)
    OPENED.append(cam)
    return cam


async def connect(user: str, password: str, **kwargs: object) -> ONVIFCamera:
    """What a client (and tcd.onvif.client) does first: the device clock, the XAddrs
    (GetServices: no authentication, ONVIF's PRE_AUTH class), then one authenticated call."""
    cam = camera(user, password, **kwargs)
    await cam.update_xaddrs()
    devicemgmt = await cam.create_devicemgmt_service()
    await devicemgmt.GetDeviceInformation()
    return cam


def fault_of(err: zeep.exceptions.Fault) -> dict:
    return {
        "type": f"{type(err).__module__}.{type(err).__name__}",
        "subcodes": [getattr(code, "localname", str(code)) for code in err.subcodes or []],
        "message": err.message,
        "is_auth_error": is_auth_error(err),
    }


async def expect_fault(awaitable: object) -> dict:
    try:
        await awaitable
    except zeep.exceptions.Fault as err:
        return fault_of(err)
    raise AssertionError("the call succeeded; a SOAP fault was expected")


def plain(value: object) -> object:
    """zeep objects → JSON-able values."""
    value = zeep.helpers.serialize_object(value)
    return json.loads(json.dumps(value, default=str))


async def main(snippet: str) -> dict:
    result: dict = {}
    scope = {
        "camera": camera,
        "connect": connect,
        "expect_fault": expect_fault,
        "plain": plain,
        "result": result,
        "datetime": datetime,
        "asyncio": asyncio,
    }
    code = "async def _snippet():\n" + textwrap.indent(snippet, "    ") + "\n"
    exec(code, scope)
    try:
        await scope["_snippet"]()
    finally:
        for cam in OPENED:
            await cam.close()
    return result


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(textwrap.dedent(sys.stdin.read())))))
