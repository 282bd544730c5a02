"""Filings (filing types, filings and their attached documents). No filing service exists yet
(the seed writes these rows directly); this module holds what the domain already owns: the
messages for its unique rules. The filing service will live here."""

from __future__ import annotations

from .integrity import quoted, register_constraint_message

# --------------------------------------------------------------------------------------------
# Constraint messages (registered with the translator in `integrity`)


def _duplicate_filing_type(v: dict[str, str]) -> str:
    if "code" in v:
        return f"A filing type with the code {quoted(v['code'])} already exists."
    return "A filing type with this code already exists."


register_constraint_message("filing_types_tenantId_code_key", _duplicate_filing_type)


def _duplicate_filing_document(v: dict[str, str]) -> str:
    document = f"The document {quoted(v['documentId'])}" if "documentId" in v else "This document"
    return f"{document} is already attached to this filing."


register_constraint_message("filing_documents_filingId_documentId_key", _duplicate_filing_document)
