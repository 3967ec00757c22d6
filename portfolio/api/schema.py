"""The OpenAPI schema's error responses, added to every operation by what the operation is.

Views declare only what is their own (a 409 and its reason, a 404 of an object named in the
body); the errors any operation of its kind may give are added here, with their bodies:
`Error` ({"detail"}) and, for 400, `ValidationError` (reasons by field). A response a view
declares keeps its description and gets the body if it has none.
"""

from drf_spectacular import openapi
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import OpenApiParameter
from rest_framework.permissions import SAFE_METHODS

from .exports import ExportableListMixin

PAGINATION_PARAMETERS = {"page", "page_size"}
NO_NUL = "^[^\\x00]*$"
ERROR = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
VALIDATION_ERROR = {
    "type": "object",
    "description": "The reasons by field (`non_field_errors`: the request as a whole); "
    "`detail` when the request could not be read.",
    "additionalProperties": {
        "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]
    },
}
DESCRIPTIONS = {
    "400": "bad input: the reasons by field",
    "401": "no credentials, or bad ones",
    "403": "not allowed to the caller's role (or a session request without its CSRF token)",
    "404": "not found, or outside the caller's scope",
    "429": "too many requests: retry later",
}


EXPORT_FORMAT = OpenApiParameter(
    "format",
    # Empty or json: the JSON page; an unknown format answers 404.
    pattern="^(json|csv|xlsx)?$",
    description="csv or xlsx: every filtered row (no pagination) as a spreadsheet, with the "
    "JSON's columns under headers in the request's language",
)


class AutoSchema(openapi.AutoSchema):
    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        if isinstance(self.view, ExportableListMixin) and self._is_list_view():
            return [*parameters, EXPORT_FORMAT]
        return parameters

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        responses = operation["responses"]
        for code in self._error_codes(operation):
            if code not in responses:
                responses[code] = {"description": self._description(code, operation)}
            response = responses[code]
            body = self._component("ValidationError" if code == "400" else "Error")
            content = response.setdefault("content", {"application/json": {"schema": body}})
            if body not in (media["schema"] for media in content.values()):
                # A body of the view's own (bundles: a list); DRF's own errors (a parse error,
                # a role's refusal) still come as the generic one.
                for media in content.values():
                    media["schema"] = {"anyOf": [media["schema"], body]}
        operation["responses"] = dict(sorted(responses.items()))
        for parameter in operation.get("parameters", []):
            schema = parameter.get("schema", {})
            if schema.get("type") == "string" and not {"enum", "format", "pattern"} & set(schema):
                # Django's form fields refuse NUL (the databases cannot compare with it): 400.
                schema["pattern"] = NO_NUL
        return operation

    def _description(self, code: str, operation: dict) -> str:
        if code == "404" and not any(p["in"] == "path" for p in operation.get("parameters", [])):
            return "no such page"
        return DESCRIPTIONS[code]

    def _error_codes(self, operation: dict) -> list[str]:
        queries = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
        in_path = any(p["in"] == "path" for p in operation.get("parameters", []))
        codes = [code for code in operation["responses"] if code[0] == "4"]
        if "requestBody" in operation or queries - PAGINATION_PARAMETERS:
            codes.append("400")
        if self.view.authentication_classes:
            codes.append("401")
        if self.method not in SAFE_METHODS:
            codes.append("403")
        if in_path or "page" in queries:  # an unknown id, or a page past the last
            codes.append("404")
        if getattr(self.view, "throttle_scope", None) and self.view.get_throttles():
            codes.append("429")
        return sorted(set(codes))

    def _component(self, name: str) -> dict:
        component = ResolvedComponent(
            name=name,
            type=ResolvedComponent.SCHEMA,
            schema=VALIDATION_ERROR if name == "ValidationError" else ERROR,
            object=name,
        )
        self.registry.register_on_missing(component)
        return component.ref
