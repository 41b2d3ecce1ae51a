"""Files on a complaint through the REST API: staff list, upload and download them; only pictures and PDF."""

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from complaints.models import Attachment, ComplaintEvent
from tests.api_clients import token_client
from tests.factories import submit_complaint

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
PDF = b"%PDF-1.4\n% a courier's report\n"


def _files_url(reference: str, tail: str = "") -> str:
    return f"/api/v1/complaints/{reference}/attachments/{tail}"


def _upload(client: APIClient, reference: str, *files: SimpleUploadedFile, body: str = "") -> Any:
    return client.post(_files_url(reference), {"attachments": list(files), "body": body}, format="multipart")


@pytest.mark.django_db
def test_staff_attach_files_as_an_internal_note_and_download_them(agent_bob: Any) -> None:
    complaint = submit_complaint(attachments=[SimpleUploadedFile("kettle.png", PNG, "image/png")])
    client = token_client(agent_bob)

    uploaded = _upload(
        client,
        complaint.reference,
        SimpleUploadedFile("courier.pdf", PDF, "application/pdf"),
        body="The courier's report.",
    )
    listed = client.get(_files_url(complaint.reference))

    assert uploaded.status_code == 201, uploaded.content
    [row] = uploaded.json()
    assert (row["name"], row["content_type"], row["size"], row["by_customer"]) == (
        "courier.pdf",
        "application/pdf",
        len(PDF),
        False,
    )
    note = ComplaintEvent.objects.get(pk=row["event"])
    assert (note.kind, note.is_public, note.body) == ("internal_note", False, "The courier's report.")
    assert [(f["name"], f["by_customer"]) for f in listed.json()] == [("kettle.png", True), ("courier.pdf", False)]

    download = client.get(_files_url(complaint.reference, f"{row['id']}/"))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content) == PDF  # type: ignore[attr-defined]


@pytest.mark.django_db
def test_a_file_that_is_not_a_picture_or_pdf_is_refused_whatever_its_name(agent_bob: Any) -> None:
    complaint = submit_complaint()
    disguised = SimpleUploadedFile("photo.png", b"<html><script>alert(1)</script></html>", "image/png")

    response = _upload(token_client(agent_bob, language="ru"), complaint.reference, disguised)

    assert response.status_code == 400
    body = response.json()
    assert body["extra"] == {"field": "attachments"}
    assert "«photo.png»" in body["message"] or "photo.png" in body["message"]
    assert "PDF" in body["message"]
    assert not Attachment.objects.exists()
    assert not complaint.events.filter(kind=ComplaintEvent.Kind.INTERNAL_NOTE).exists()


@pytest.mark.django_db
def test_an_upload_without_files_or_with_too_many_is_refused(agent_bob: Any) -> None:
    complaint = submit_complaint()
    client = token_client(agent_bob)
    six = [SimpleUploadedFile(f"p{i}.png", PNG, "image/png") for i in range(6)]

    assert _upload(client, complaint.reference).status_code == 400
    assert _upload(client, complaint.reference, *six).status_code == 400
    assert not Attachment.objects.exists()


@pytest.mark.django_db
def test_a_json_body_is_not_an_upload(agent_bob: Any) -> None:
    complaint = submit_complaint()

    response = token_client(agent_bob).post(_files_url(complaint.reference), {"attachments": []}, format="json")

    assert response.status_code == 415


@pytest.mark.django_db
def test_a_file_is_found_only_under_its_own_complaint(agent_bob: Any) -> None:
    complaint = submit_complaint(attachments=[SimpleUploadedFile("kettle.png", PNG, "image/png")])
    other = submit_complaint(email="other@example.com")
    attachment = Attachment.objects.get()
    client = token_client(agent_bob)

    assert client.get(_files_url(other.reference, f"{attachment.public_id}/")).status_code == 404
    assert client.get(_files_url(complaint.reference, f"{attachment.public_id}/")).status_code == 200


@pytest.mark.django_db
def test_files_are_for_staff_only(outsider_dave: Any) -> None:
    complaint = submit_complaint(attachments=[SimpleUploadedFile("kettle.png", PNG, "image/png")])
    url = _files_url(complaint.reference, f"{Attachment.objects.get().public_id}/")

    assert APIClient().get(url).status_code == 401
    assert token_client(outsider_dave).get(url).status_code == 403
    assert token_client(outsider_dave).get(_files_url(complaint.reference)).status_code == 403
    upload = _upload(token_client(outsider_dave), complaint.reference, SimpleUploadedFile("a.png", PNG, "image/png"))
    assert upload.status_code == 403
    assert Attachment.objects.count() == 1
