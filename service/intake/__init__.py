"""Intake and screening: applications, what screening records, and the decision."""
