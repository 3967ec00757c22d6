"""Enterprises attach evidence files to their measurements.

The file is checked by its content (contracts/uploads.py), stored under a random key and
recorded in one go: if anything fails, neither the row nor the file is left behind. A
refusal by the workflow raises ActionRefused; a bad file, UploadRejected (bad input)."""

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from contracts.models import Evidence, Measurement, Period
from contracts.uploads import check_upload
from portfolio.models import User

from .approvals import ActionRefused

State = Measurement.State


def _require_uploadable(measurement: Measurement, user: User) -> None:
    contract = measurement.period.contract
    if user.role != User.Role.ENTERPRISE or user.party_id != contract.private_party_id:
        raise ActionRefused(_("Only the contract's enterprise uploads its evidence."))
    if measurement.period.state == Period.State.LOCKED:
        raise ActionRefused(_("The period is locked: its payment is approved."))
    if not measurement.is_current:
        raise ActionRefused(_("Evidence goes with the current revision of a measurement."))
    if measurement.state not in (State.DRAFT, State.SUBMITTED, State.RETURNED):
        raise ActionRefused(_("The measurement is accepted: its evidence can no longer change."))


def evidence_upload(*, measurement: Measurement, upload: UploadedFile, user: User) -> Evidence:
    field = Evidence._meta.get_field("file")
    stored = None
    try:
        with transaction.atomic():
            # The join locks the period row too: an approval cannot lock it mid-upload.
            measurement = (
                Measurement.objects.select_for_update()
                .select_related("period__contract")
                .get(pk=measurement.pk)
            )
            _require_uploadable(measurement, user)
            checked = check_upload(upload)
            evidence = Evidence(
                measurement=measurement,
                original_name=checked.original_name,
                sha256=checked.sha256,
                size=checked.size,
                content_type=checked.content_type,
                uploaded_by=user,
            )
            # upload_to makes a random key: the client's name is never part of the path. A
            # random key never collides, so a failed write can only leave our own file there.
            stored = field.generate_filename(evidence, "evidence")
            stored = field.storage.save(stored, upload, max_length=field.max_length)
            evidence.file.name = stored
            evidence.save()
    except BaseException:
        if stored and field.storage.exists(stored):
            field.storage.delete(stored)
        raise
    return evidence
