"""The company's rectification notices (整改) in the portal: the list, and one notice with the
answer form (text and closure files). Read through `visible_to(user)`: another company's
notice answers 404. The services check everything again."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from contracts import workflow
from contracts.models import RectificationNotice
from contracts.services import rectifications as r
from contracts.uploads import UploadRejected

from .views import enterprise_only

# At most this many files in one answer (more can follow after a send back).
FILES_PER_ANSWER = 10


def _notices(user):
    return RectificationNotice.objects.visible_to(user).select_related(
        "period__contract", "kpi", "issued_by"
    )


@enterprise_only
def notice_list(request):
    notices = list(_notices(request.user).order_by("-issued_at", "-pk"))
    waiting = {n.pk for n in workflow.awaiting(RectificationNotice.objects.all(), request.user)}
    for notice in notices:
        notice.waiting = notice.pk in waiting
    notices.sort(key=lambda n: (not n.waiting, n.deadline))
    return render(
        request,
        "portal/rectifications.html",
        {"notices": notices, "today": timezone.localdate()},
    )


@enterprise_only
def notice_detail(request, pk: int):
    notice = get_object_or_404(
        _notices(request.user).select_related("answered_by", "sent_back_by", "verified_by"), pk=pk
    )
    errors: dict[str, str] = {}
    if request.method == "POST":
        files = request.FILES.getlist("files")
        if len(files) > FILES_PER_ANSWER:
            errors["files"] = _("At most %(n)d files at once.") % {"n": FILES_PER_ANSWER}
        else:
            try:
                r.rectification_answer(
                    notice=notice,
                    user=request.user,
                    answer=request.POST.get("answer", ""),
                    uploads=files,
                )
            except r.RectificationInvalid as exc:
                errors.update(exc.errors)
            except UploadRejected as exc:
                errors["files"] = exc.reason
            except r.ActionRefused as exc:
                messages.error(request, str(exc))
                return redirect("portal:rectification", pk=notice.pk)
            else:
                messages.success(request, _("Answer sent: the officials will verify it."))
                return redirect("portal:rectification", pk=notice.pk)
    return render(
        request,
        "portal/rectification.html",
        {
            "notice": notice,
            "files": list(notice.files.order_by("uploaded_at", "pk")),
            "can_answer": "answer" in workflow.allowed_actions(notice, request.user),
            "errors": errors,
            "answer": request.POST.get("answer", "") if errors else "",
            "today": timezone.localdate(),
        },
    )
