"""Errors the engine raises instead of computing a payment from impossible inputs."""


class EngineInputError(ValueError):
    """The inputs cannot produce a meaningful payment; the message says where and why."""


class MissingMeasurements(EngineInputError):
    """A score_coefficient period lacks measurements: it is never computed with zeros."""

    def __init__(self, kpi_codes: list[str]) -> None:
        self.kpi_codes = list(kpi_codes)
        super().__init__(f"measurements: missing for KPI {', '.join(self.kpi_codes)}")

    def __reduce__(self):
        # Rebuild from the codes, not the message, so the exception survives pickling.
        return type(self), (self.kpi_codes,)
