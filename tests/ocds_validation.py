"""Validating OCDS release packages offline: the official schemas (core 1.1.5 and the OCDS for
PPPs profile, JSON Schema draft 4) from ../shared/ocds/, formats checked, then what the
schemas leave out: codelists (the profile's CSVs) and references between parts.

`ocds_errors(package)` lists every problem as "path: message"; an empty list is valid.
"""

import csv
import json
from collections.abc import Iterator
from functools import cache

from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from tests.conftest import SHARED_DIR

OCDS_DIR = SHARED_DIR / "ocds"
SCHEMAS = {
    "core": OCDS_DIR / "standard-1.1.5" / "release-package-schema.json",
    "ppp": OCDS_DIR / "ppp-profile" / "release-package-schema.json",
}
CODELISTS_DIR = OCDS_DIR / "ppp-profile" / "codelists"
# Open codelists whose codes may be local by design: the profile says a metric id "may be
# an arbitrary identifier" (our KPI codes). Every other codelist, open or closed, must
# contain the value: the export means to use only listed codes.
LOCAL_CODES_ALLOWED = {"metricID.csv"}


def _load(path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@cache
def _registry() -> Registry:
    """Every schema file under its `id`, so that no $ref goes to the network."""
    resources = [
        Resource.from_contents(_load(path), default_specification=DRAFT4)
        for path in sorted(OCDS_DIR.glob("*/*-schema.json"))
    ]
    return Registry().with_resources((resource.id(), resource) for resource in resources)


@cache
def _validator(name: str) -> Draft4Validator:
    checker = Draft4Validator.FORMAT_CHECKER
    # Without rfc3339-validator and rfc3986-validator these formats pass unchecked.
    missing = {"date-time", "uri"} - set(checker.checkers)
    assert not missing, f"install the format checkers for {missing}"
    return Draft4Validator(_load(SCHEMAS[name]), registry=_registry(), format_checker=checker)


@cache
def codelist(name: str) -> frozenset[str]:
    with (CODELISTS_DIR / name).open(encoding="utf-8") as file:
        return frozenset(row["Code"] for row in csv.DictReader(file))


def ocds_errors(package: dict) -> list[str]:
    errors = []
    for name in SCHEMAS:
        for error in _validator(name).iter_errors(package):
            errors.append(f"{name}: {error.json_path}: {error.message}")
    release_schema = _load(OCDS_DIR / "ppp-profile" / "release-schema.json")
    for index, release in enumerate(package.get("releases") or []):
        where = f"$.releases[{index}]"
        errors += [
            f"codelist: {path}: {value!r} is not in {name}"
            for path, value, name in _coded_values(release, release_schema, release_schema, where)
            if name not in LOCAL_CODES_ALLOWED and value not in codelist(name)
        ]
        errors += [f"reference: {where}{problem}" for problem in _reference_problems(release)]
    return errors


def _coded_values(data, schema: dict, root: dict, path: str) -> Iterator[tuple[str, str, str]]:
    """(path, value, codelist file) for every value the schema ties to a codelist."""
    if "$ref" in schema:
        schema = root["definitions"][schema["$ref"].rsplit("/", 1)[-1]]
    if "codelist" in schema and data is not None:
        values = data if isinstance(data, list) else [data]
        for value in values:
            yield path, value, schema["codelist"]
        return
    if isinstance(data, dict):
        for key, value in data.items():
            if key in schema.get("properties", {}):
                yield from _coded_values(value, schema["properties"][key], root, f"{path}.{key}")
    elif isinstance(data, list) and "items" in schema:
        for index, item in enumerate(data):
            yield from _coded_values(item, schema["items"], root, f"{path}[{index}]")


def _reference_problems(release: dict) -> Iterator[str]:
    """Organization references name a party with the role they act in; contracts name an
    award of the release; ids are unique where OCDS says so."""
    parties = {party.get("id"): party for party in release.get("parties", [])}
    if len(parties) != len(release.get("parties", [])):
        yield ".parties: party ids are not unique"

    def party(path: str, reference: dict | None, role: str | None) -> Iterator[str]:
        if reference is None:
            return
        found = parties.get(reference.get("id"))
        if found is None:
            yield f"{path}: no party with id {reference.get('id')!r}"
        elif role and role not in (found.get("roles") or []):
            yield f"{path}: party {found['id']!r} lacks the role {role!r}"

    yield from party(".buyer", release.get("buyer"), "buyer")
    awards = {award["id"] for award in release.get("awards", [])}
    for i, award in enumerate(release.get("awards", [])):
        for j, supplier in enumerate(award.get("suppliers", [])):
            yield from party(f".awards[{i}].suppliers[{j}]", supplier, "supplier")
    for i, contract in enumerate(release.get("contracts", [])):
        at = f".contracts[{i}]"
        if contract.get("awardID") not in awards:
            yield f"{at}.awardID: no award with id {contract.get('awardID')!r}"
        for j, signatory in enumerate(contract.get("signatories", [])):
            yield from party(f"{at}.signatories[{j}]", signatory, None)
        implementation = contract.get("implementation", {})
        for j, transaction in enumerate(implementation.get("transactions", [])):
            for role in ("payer", "payee"):
                where = f"{at}.implementation.transactions[{j}].{role}"
                yield from party(where, transaction.get(role), role)
        for key in ("milestones", "transactions", "metrics", "performanceFailures"):
            ids = [item.get("id") for item in implementation.get(key, [])]
            if len(ids) != len(set(ids)):
                yield f"{at}.implementation.{key}: ids are not unique"


# Extensions: the fields core OCDS 1.1.5 does not define, and which profile extension defines
# each (from the extensions' own documentation), and the codelists' "Extension" column.
EXTENSION_OF_FIELD = {
    "agreedMetrics": "metrics",
    "metrics": "metrics",
    "performanceFailures": "performance_failures",
    "signatories": "signatories",
}
EXTENSION_OF_CODELIST_SOURCE = {"OCDS for PPPs Extension": "ppp"}


@cache
def extension_urls() -> dict[str, str]:
    """id → extension.json URL, read from the table in ppp-profile/extensions.md."""
    text = (OCDS_DIR / "ppp-profile" / "extensions.md").read_text(encoding="utf-8")
    rows = [line.split("|")[1:-1] for line in text.splitlines() if line.startswith("| ")]
    return {
        cells[0].strip(): cells[2].strip() + "extension.json"
        for cells in rows
        if cells[2].strip().startswith("https://")
    }


def undefined_fields(data, schema: dict, root: dict, path: str = "$") -> Iterator[str]:
    """Paths of the fields in `data` that `schema` does not define (objects without
    `properties` in the schema, e.g. free-form dimensions, are not looked into)."""
    while "$ref" in schema:
        schema = root["definitions"][schema["$ref"].rsplit("/", 1)[-1]]
    if isinstance(data, dict) and "properties" in schema:
        for key, value in data.items():
            if key in schema["properties"]:
                yield from undefined_fields(value, schema["properties"][key], root, f"{path}.{key}")
            else:
                yield f"{path}.{key}"
    elif isinstance(data, list) and "items" in schema:
        for index, item in enumerate(data):
            yield from undefined_fields(item, schema["items"], root, f"{path}[{index}]")


def release_fields_outside(package: dict, schema_file) -> list[str]:
    """Fields of the package's releases that the release schema in `schema_file` lacks."""
    schema = _load(schema_file)
    return [
        problem
        for index, release in enumerate(package["releases"])
        for problem in undefined_fields(release, schema, schema, f"$.releases[{index}]")
    ]


def extensions_needed(package: dict) -> set[str]:
    """The profile extensions whose fields (those core lacks) or codes the package uses."""
    core = OCDS_DIR / "standard-1.1.5" / "release-schema.json"
    # A field no extension defines is reported by extension_problems as undefined.
    fields = {path.rsplit(".", 1)[-1] for path in release_fields_outside(package, core)}
    needed = {EXTENSION_OF_FIELD[field] for field in fields if field in EXTENSION_OF_FIELD}
    profile = _load(OCDS_DIR / "ppp-profile" / "release-schema.json")
    for release in package["releases"]:
        for _path, value, name in _coded_values(release, profile, profile, "$"):
            with (CODELISTS_DIR / name).open(encoding="utf-8") as file:
                source = {row["Code"]: row.get("Extension") for row in csv.DictReader(file)}
            if source.get(value) in EXTENSION_OF_CODELIST_SOURCE:
                needed.add(EXTENSION_OF_CODELIST_SOURCE[source[value]])
    return needed


def extension_problems(package: dict) -> list[str]:
    """Every field defined by the profile's merged schema, and the package's `extensions`
    exactly the extension.json URLs of the extensions it uses."""
    problems = [
        f"{path}: not defined in the PPP profile's release schema"
        for path in release_fields_outside(
            package, OCDS_DIR / "ppp-profile" / "release-schema.json"
        )
    ]
    urls = extension_urls()
    wanted = {urls[name] for name in extensions_needed(package)}
    declared = set(package.get("extensions", []))
    problems += [f"$.extensions: {url} is not declared" for url in sorted(wanted - declared)]
    problems += [f"$.extensions: {url} is declared but unused" for url in sorted(declared - wanted)]
    return problems
