"""Compliance (rule sets, rules, scores). No compliance service exists yet (the seed writes these
rows directly); this module holds what the domain already owns: the messages for its unique
rules. The compliance service will live here."""

from __future__ import annotations

from .integrity import quoted, register_constraint_message

# --------------------------------------------------------------------------------------------
# Constraint messages (registered with the translator in `integrity`)


def _duplicate_score(v: dict[str, str]) -> str:
    client = f"The client {quoted(v['clientId'])}" if "clientId" in v else "This client"
    return f"{client} already has a compliance score."


register_constraint_message("compliance_scores_tenantId_clientId_key", _duplicate_score)
