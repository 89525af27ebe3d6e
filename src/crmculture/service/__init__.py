"""The decision service: crmculture over HTTP, for the systems that are not Python.

Needs the ``service`` extra (``pip install 'crmculture[service]'``: Starlette, uvicorn and
prometheus_client). `crmculture serve` runs it; `create_app` gives the ASGI application to
any ASGI server. See the how-to "Run crmculture as a decision service".
"""

from crmculture.service.app import Limits, Service, create_app
from crmculture.service.openapi import culture_schemas, openapi_document
from crmculture.service.served import CultureRejected, ServedCulture, load_served

__all__ = [
    "CultureRejected",
    "Limits",
    "ServedCulture",
    "Service",
    "create_app",
    "culture_schemas",
    "load_served",
    "openapi_document",
]
