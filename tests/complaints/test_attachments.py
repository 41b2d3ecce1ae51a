"""Attached files: only pictures and PDF (judged by content), stored privately, downloaded after a check."""

import hashlib
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import reverse

from complaints.attachments import (
    MAX_ATTACHMENT_BYTES,
    attachment_display_name,
    attachment_save,
    attachments_validate,
    sniff_content_type,
)
from complaints.models import Attachment, Complaint
from complaints.services import complaint_note_add
from complaints.tokens import tracking_token
from config.exceptions import ApplicationError
from tests.factories import submit_complaint

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
GIF87 = (
    b"GIF87a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)
GIF89 = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00;"
WEBP = b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00/\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SCRIPT = b"#!/bin/sh\nrm -rf ~\n"
ZIP = b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 20
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
RIFF_WAVE = b"RIFF$\x00\x00\x00WAVEfmt \x10\x00\x00\x00"


@pytest.fixture(autouse=True)
def _private_media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def _file(name: str, content: bytes, declared: str = "image/png") -> SimpleUploadedFile:
    # The declared type is the browser's claim: deliberately wrong in several tests.
    return SimpleUploadedFile(name, content, content_type=declared)


def _refusal(files: list[SimpleUploadedFile]) -> ApplicationError:
    with pytest.raises(ApplicationError) as caught:
        attachments_validate(files)
    assert caught.value.extra == {"field": "attachments"}
    return caught.value


def _attach(complaint: Complaint, content: bytes = PNG, name: str = "photo.png", **kwargs: Any) -> Attachment:
    with transaction.atomic():
        return attachment_save(
            complaint=complaint, upload=_file(name, content), by_customer=kwargs.pop("by_customer", True), **kwargs
        )


# --- What we accept -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (PNG, "image/png"),
        (JPEG, "image/jpeg"),
        (GIF87, "image/gif"),
        (GIF89, "image/gif"),
        (WEBP, "image/webp"),
        (PDF, "application/pdf"),
        (SVG, None),
        (HTML, None),
        (SCRIPT, None),
        (ZIP, None),
        (EXE, None),
        (RIFF_WAVE, None),
        (b"RIFF", None),
        (b"", None),
    ],
    ids=[
        "png",
        "jpeg",
        "gif87a",
        "gif89a",
        "webp",
        "pdf",
        "svg",
        "html",
        "script",
        "zip",
        "exe",
        "wav",
        "short",
        "empty",
    ],
)
def test_the_type_is_sniffed_from_the_first_bytes(content: bytes, expected: str | None) -> None:
    assert sniff_content_type(content[:16]) == expected


@pytest.mark.parametrize("content", [PNG, JPEG, GIF89, WEBP, PDF], ids=["png", "jpeg", "gif", "webp", "pdf"])
def test_pictures_and_pdf_pass_validation_whatever_their_name(content: bytes) -> None:
    upload = _file("scan.bin", content, declared="application/octet-stream")

    assert attachments_validate([upload]) == [upload]
    assert upload.tell() == 0


def test_no_files_is_fine() -> None:
    assert attachments_validate([]) == []


@pytest.mark.parametrize(
    ("name", "content", "declared"),
    [
        ("x.svg", SVG, "image/svg+xml"),
        ("innocent.png", SVG, "image/png"),
        ("page.html", HTML, "text/html"),
        ("photo.jpg", SCRIPT, "image/jpeg"),
        ("receipts.pdf", ZIP, "application/pdf"),
    ],
    ids=["svg", "svg-named-png", "html", "script-named-jpg", "zip-named-pdf"],
)
def test_other_content_is_refused_by_name_with_a_friendly_message(name: str, content: bytes, declared: str) -> None:
    refusal = _refusal([_file(name, content, declared)])

    assert str(refusal.message) == (
        f"“{name}” is not a picture or a PDF. Please attach images (PNG, JPEG, GIF, WEBP) or PDF files."
    )


def test_an_empty_file_is_refused() -> None:
    refusal = _refusal([_file("blank.png", b"")])

    assert str(refusal.message) == "“blank.png” is empty. Please attach it again."


def test_more_than_five_files_are_refused() -> None:
    refusal = _refusal([_file(f"photo{n}.png", PNG) for n in range(6)])

    assert str(refusal.message) == "You can attach up to 5 files at a time."


def test_five_files_are_fine() -> None:
    assert len(attachments_validate([_file(f"photo{n}.png", PNG) for n in range(5)])) == 5


def test_a_file_over_10_mb_is_refused_naming_the_file_and_the_limit() -> None:
    eleven_mb = PNG + b"\x00" * (11 * 1024 * 1024 - len(PNG))

    refusal = _refusal([_file("ok.png", PNG), _file("huge photo.png", eleven_mb)])

    assert str(refusal.message) == "“huge photo.png” is larger than 10 MB."


def test_a_file_of_exactly_10_mb_is_accepted() -> None:
    assert attachments_validate([_file("big.png", PNG + b"\x00" * (MAX_ATTACHMENT_BYTES - len(PNG)))])


@pytest.mark.parametrize(
    ("sent", "shown"),
    [
        ("photo.png", "photo.png"),
        ("C:\\Users\\alice\\Desktop\\photo.png", "photo.png"),
        ("../../etc/passwd.png", "passwd.png"),
        ("evil\r\nSet-Cookie: x=1.png", "evilSet-Cookie: x=1.png"),
        ("invoice\u202egpj.exe", "invoicegpj.exe"),
        ("", "attachment"),
        ("..", "attachment"),
        ("фото чека.jpg", "фото чека.jpg"),
    ],
)
def test_names_are_cleaned_for_display(sent: str, shown: str) -> None:
    assert attachment_display_name(sent) == shown


def test_a_long_name_is_shortened_keeping_its_extension() -> None:
    shown = attachment_display_name("a" * 400 + ".jpeg")

    assert len(shown) == 255
    assert shown.endswith("a.jpeg")


# --- Storing --------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_saving_records_the_sniffed_type_size_and_hash(settings: Any) -> None:
    complaint = submit_complaint()
    upload = _file("C:\\fakepath\\receipt.png", PDF, declared="image/png")

    with transaction.atomic():
        attachment = attachment_save(complaint=complaint, upload=upload, by_customer=True)

    attachment.refresh_from_db()
    assert attachment.content_type == "application/pdf"
    assert attachment.size == len(PDF)
    assert attachment.sha256 == hashlib.sha256(PDF).hexdigest()
    assert attachment.original_name == "receipt.png"
    assert attachment.by_customer is True
    stored = Path(attachment.file.path)
    assert stored.read_bytes() == PDF
    assert stored.is_relative_to(Path(settings.MEDIA_ROOT) / "private")
    assert not stored.is_relative_to(Path(settings.STATIC_ROOT))
    assert "receipt" not in stored.name


@pytest.mark.django_db
def test_saving_refuses_content_that_slipped_past_validation() -> None:
    complaint = submit_complaint()

    with pytest.raises(ApplicationError), transaction.atomic():
        attachment_save(complaint=complaint, upload=_file("x.png", HTML), by_customer=True)

    assert not Attachment.objects.exists()


@pytest.mark.django_db
def test_a_complaint_submitted_with_files_keeps_them_on_its_first_event() -> None:
    complaint = submit_complaint(attachments=[_file("photo.png", PNG), _file("receipt.pdf", PDF)])

    files = list(complaint.attachments.order_by("original_name"))
    assert [(f.original_name, f.content_type) for f in files] == [
        ("photo.png", "image/png"),
        ("receipt.pdf", "application/pdf"),
    ]
    assert all(f.event is not None and f.event.kind == "created" for f in files)


@pytest.mark.django_db
def test_a_refused_file_refuses_the_whole_complaint() -> None:
    with pytest.raises(ApplicationError):
        submit_complaint(attachments=[_file("photo.png", PNG), _file("x.svg", SVG)])

    assert not Complaint.objects.exists()
    assert not Attachment.objects.exists()


# --- Customer download ----------------------------------------------------------------------------------


def _customer_url(token: str, attachment: Attachment) -> str:
    return reverse("complaints:attachment", kwargs={"token": token, "public_id": attachment.public_id})


def _body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


@pytest.mark.django_db
def test_the_customer_downloads_their_file_with_their_link(client: Client) -> None:
    complaint = submit_complaint()
    attachment = _attach(complaint, JPEG, "holiday.jpg")

    response = client.get(_customer_url(tracking_token(complaint), attachment))

    assert response.status_code == 200
    assert _body(response) == JPEG
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"] == 'attachment; filename="holiday.jpg"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response["Cache-Control"] == "private, no-store"


@pytest.mark.django_db
def test_another_complaints_link_does_not_open_the_file(client: Client) -> None:
    complaint = submit_complaint()
    other = submit_complaint(email="mallory@example.com")
    attachment = _attach(complaint)

    assert client.get(_customer_url(tracking_token(other), attachment)).status_code == 404


@pytest.mark.django_db
def test_a_tampered_link_does_not_open_the_file(client: Client) -> None:
    complaint = submit_complaint()
    attachment = _attach(complaint)
    token = tracking_token(complaint)
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")

    assert client.get(_customer_url(tampered, attachment)).status_code == 404
    assert client.get(_customer_url("not-a-token", attachment)).status_code == 404


@pytest.mark.django_db
def test_an_unknown_file_id_is_not_found(client: Client) -> None:
    complaint = submit_complaint()
    _attach(complaint)
    url = reverse(
        "complaints:attachment",
        kwargs={"token": tracking_token(complaint), "public_id": "00000000-0000-4000-8000-000000000000"},
    )

    assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_a_staff_file_on_an_internal_note_stays_internal(client: Client, agent_bob: Any) -> None:
    complaint = submit_complaint()
    note = complaint_note_add(complaint=complaint, author=agent_bob, body="Photo from the warehouse.")
    attachment = _attach(complaint, by_customer=False, event=note)

    assert client.get(_customer_url(tracking_token(complaint), attachment)).status_code == 404


@pytest.mark.django_db
def test_the_download_is_get_only(client: Client) -> None:
    complaint = submit_complaint()
    attachment = _attach(complaint)

    assert client.post(_customer_url(tracking_token(complaint), attachment)).status_code == 405


@pytest.mark.django_db
def test_a_file_missing_from_storage_is_not_found_rather_than_an_error(client: Client) -> None:
    complaint = submit_complaint()
    attachment = _attach(complaint)
    Path(attachment.file.path).unlink()

    assert client.get(_customer_url(tracking_token(complaint), attachment)).status_code == 404


# --- Staff download -------------------------------------------------------------------------------------


def _staff_url(attachment: Attachment) -> str:
    return reverse("dashboard:attachment", kwargs={"public_id": attachment.public_id})


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_log_in(client: Client) -> None:
    attachment = _attach(submit_complaint())

    response = client.get(_staff_url(attachment))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_an_outsider_is_forbidden(client: Client, outsider_dave: Any) -> None:
    attachment = _attach(submit_complaint())
    client.force_login(outsider_dave)

    assert client.get(_staff_url(attachment)).status_code == 403


@pytest.mark.django_db
def test_an_agent_downloads_the_file(client: Client, agent_bob: Any) -> None:
    attachment = _attach(submit_complaint(), PDF, "чек.pdf")
    client.force_login(agent_bob)

    response = client.get(_staff_url(attachment))

    assert response.status_code == 200
    assert _body(response) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''%D1%87%D0%B5%D0%BA.pdf" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response["Cache-Control"] == "private, no-store"


@pytest.mark.django_db
def test_staff_see_internal_files_too(client: Client, agent_bob: Any) -> None:
    complaint = submit_complaint()
    note = complaint_note_add(complaint=complaint, author=agent_bob, body="Photo from the warehouse.")
    attachment = _attach(complaint, GIF89, "shelf.gif", by_customer=False, event=note)
    client.force_login(agent_bob)

    response = client.get(_staff_url(attachment))

    assert response.status_code == 200
    assert _body(response) == GIF89


@pytest.mark.django_db
def test_an_agent_gets_404_for_an_unknown_file(client: Client, agent_bob: Any) -> None:
    client.force_login(agent_bob)
    url = reverse("dashboard:attachment", kwargs={"public_id": "00000000-0000-4000-8000-000000000000"})

    assert client.get(url).status_code == 404
