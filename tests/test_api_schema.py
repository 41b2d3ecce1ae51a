"""The OpenAPI schema holds for the whole API: schemathesis calls every operation of /api/schema/ in-process
(WSGI), as each role, with data the schema allows and data it does not, and checks that nothing answers 5xx and
that every answer's status, content type and body are the ones the schema documents."""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from compensation.services import offer_propose
from complaints.services import complaint_files_add, complaint_reply
from complaints.tokens import tracking_token
from tests.factories import ProductFactory, PurchaseFactory, declare_incident, submit_complaint

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": 20261208,
        "generation": {"deterministic": True, "max-examples": 10},
        # The coverage phase multiplies the cases per operation by its boundary values; examples and fuzzing keep
        # the run under a minute.
        "phases": {"coverage": {"enabled": False}},
    }
)
schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application(), config=CONFIG)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


@dataclass
class Seeded:
    reference: str
    token: str
    offer_id: int
    attachment_id: str
    customer_id: int
    purchase_id: int
    product_code: str
    incident_id: int
    headers: dict[str, dict[str, str]]


@pytest.fixture(autouse=True)
def _keep_the_test_transaction() -> Any:
    """Requests go straight to the WSGI application, not through Django's test client, which is what usually stops
    the end of a request from closing the connection that holds the test's transaction."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def seeded(agent_bob: Any, lead_tess: Any, manager_carol: Any) -> Seeded:
    product: Any = ProductFactory(code="kettle-2000", price=Decimal("2990.00"))
    complaint = submit_complaint(order_number="", product_code="")
    purchase: Any = PurchaseFactory(customer=complaint.customer, product=product)
    submit_complaint(description="The lid of the kettle broke as well.")
    complaint_reply(complaint=complaint, author=agent_bob, body="We are sorry; a new kettle is on its way.")
    note = complaint_files_add(
        complaint=complaint, author=agent_bob, files=[SimpleUploadedFile("label.png", PNG, "image/png")]
    )
    offer = offer_propose(
        complaint=complaint, actor=agent_bob, kind="voucher", amount=Decimal("500"), reason="For the wait."
    )
    now = timezone.now()
    incident = declare_incident(actor=manager_carol, products=[product], started_at=now - timedelta(hours=3))
    headers: dict[str, dict[str, str]] = {"anonymous": {}}
    for role, user in (("agent", agent_bob), ("lead", lead_tess), ("manager", manager_carol)):
        headers[role] = {"Authorization": f"Token {Token.objects.create(user=user).key}"}
    return Seeded(
        reference=complaint.reference,
        token=tracking_token(complaint),
        offer_id=offer.pk,
        attachment_id=str(note.attachments.get().public_id),
        customer_id=complaint.customer_id,
        purchase_id=purchase.pk,
        product_code=product.code,
        incident_id=incident.pk,
        headers=headers,
    )


def _point_at_seeded_records(case: Any, seeded: Seeded) -> None:
    """Path parameters name the records made above (a generated id would only ever find nothing). A case that
    tests a path parameter the schema does not allow keeps it."""
    component = case.meta.components.get("path") if case.meta else None
    if not case.path_parameters or (component is not None and component.mode == GenerationMode.NEGATIVE):
        return
    path = case.operation.path
    by_resource = {"customers": seeded.customer_id, "purchases": seeded.purchase_id, "incidents": seeded.incident_id}
    known: dict[str, Any] = {
        "reference": seeded.reference,
        "token": seeded.token,
        "offer_id": seeded.offer_id,
        "public_id": seeded.attachment_id,
        "code": seeded.product_code,
        "id": next((pk for name, pk in by_resource.items() if path.startswith(f"/api/v1/{name}/")), None),
    }
    for name in case.path_parameters:
        if known.get(name) is not None:
            case.path_parameters[name] = known[name]


@pytest.mark.django_db
@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck), print_blob=True)
def test_every_operation_keeps_to_the_schema_for_every_role(case: Any, seeded: Seeded) -> None:
    _point_at_seeded_records(case, seeded)
    # In a multipart body every part is text or a file on the wire, so a value "made" null, boolean or an array to
    # break the schema reaches the server as a valid string or file: such a request is not invalid at all.
    excluded = [negative_data_rejection] if case.media_type == "multipart/form-data" else []
    for headers in seeded.headers.values():
        case.call_and_validate(headers=headers, checks=CHECKS, excluded_checks=excluded)
