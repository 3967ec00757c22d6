"""The `ppp-bundle/1` document: validation, import and export (../shared/spec/bundle-format.md)."""

from .exporting import bundle_export
from .importing import BundleInvalid, ImportResult, bundle_import, bundles_import
from .reader import BundleError
from .validation import validate_bundle

__all__ = [
    "BundleError",
    "BundleInvalid",
    "ImportResult",
    "bundle_export",
    "bundle_import",
    "bundles_import",
    "validate_bundle",
]
