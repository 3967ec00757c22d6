"""The enterprise portal: plain pages where a project company submits its KPI figures and
evidence for a period, through the same services as the API and the admin."""
