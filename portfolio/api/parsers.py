"""The API's JSON parser: `portfolio.jsonparse` (limits on size, depth, strings, integers,
duplicate keys) instead of DRF's `json.load`. A refused body answers 400 with
`{"detail": "<path>: <reason>", "path": "<path>"}`."""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from portfolio.jsonparse import MAX_BYTES, JSONRefused, json_parse, limit


class JSONBodyRefused(ParseError):
    def __init__(self, refused: JSONRefused):
        super().__init__({"detail": f"{refused.path}: {refused.reason}", "path": refused.path})
        self.refused = refused


class LimitedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        # One byte more than the limit is enough to know the body is too large.
        max_bytes = limit("JSON_MAX_BYTES", MAX_BYTES)
        data = stream.read(max_bytes + 1) if stream is not None else b""
        try:
            return json_parse(data)
        except JSONRefused as exc:
            raise JSONBodyRefused(exc) from None
