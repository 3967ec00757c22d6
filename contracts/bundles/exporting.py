"""Exporting a contract as a `ppp-bundle/1` document."""

from contracts.models import Contract
from contracts.selectors import evaluation_documents, kpi_documents_by_version
from portfolio.models import Party

from .validation import FORMAT

GOVERNMENT_KEY, PRIVATE_KEY = "gov", "spv"


def _party_document(key: str, party: Party) -> dict:
    doc = {"key": key, "kind": party.kind, "name": party.name}
    if party.credit_code:
        doc["credit_code"] = party.credit_code
    return doc


def bundle_export(*, contract: Contract) -> dict:
    """The contract, its project, parties, latest mechanism version and every period that
    has inputs, as a bundle that imports back to the same data."""
    project = contract.project
    version = contract.mechanism_versions.order_by("-version").first()
    project_doc = {
        "code": project.code,
        "name": project.name,
        **({"name_en": project.name_en} if project.name_en else {}),
        "city": project.city.name,
        "sector": project.sector,
        "stage": project.stage,
        "operation_mode": project.operation_mode,
        "return_mechanism": project.return_mechanism,
        "total_investment": str(project.total_investment),
        "cooperation_years": project.cooperation_years,
    }
    contract_doc = {
        "code": contract.code,
        "title": contract.title,
        "government_party": GOVERNMENT_KEY,
        "private_party": PRIVATE_KEY,
        "signed_on": contract.signed_on.isoformat(),
        "starts_on": contract.starts_on.isoformat(),
        "ends_on": contract.ends_on.isoformat(),
        "currency": contract.currency,
        "frequency": contract.frequency,
        "mechanism": dict(version.definition),
        "kpis": kpi_documents_by_version(version_ids=[version.pk])[version.pk],
        "milestones": [
            {
                "code": m.code,
                "name": m.name,
                "due_on": m.due_on.isoformat(),
                "met_on": m.met_on.isoformat() if m.met_on else None,
            }
            for m in contract.milestones.order_by("due_on", "code")
        ],
    }
    evaluations = evaluation_documents(
        periods=contract.periods.order_by("starts_on"), accepted_only=False
    ).values()
    return {
        "format": FORMAT,
        "project": project_doc,
        "parties": [
            _party_document(GOVERNMENT_KEY, contract.government_party),
            _party_document(PRIVATE_KEY, contract.private_party),
        ],
        "contract": contract_doc,
        "evaluations": [e for e in evaluations if len(e) > 1],
    }
