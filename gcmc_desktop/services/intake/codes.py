"""What a cover sheet's QR code says, and reading it back strictly.

`GCMC1|C|<tenant>|<client>|<document type>|<document or 0>` files the pages after it as a
new document of that type for that client (or a new version of that document);
`GCMC1|S` is a generic separator (the pages after it go to the review queue as their own
part). Anything else — another product's QR code, a damaged read — is not a sheet.
"""

from __future__ import annotations

from dataclasses import dataclass

PREFIX = "GCMC1"
COVER = "C"
SEPARATOR = "S"
_MAX_ID = 2**31 - 1


@dataclass(frozen=True)
class SheetCode:
    kind: str  # COVER or SEPARATOR
    tenant_id: int | None = None
    client_id: int | None = None
    document_type_id: int | None = None
    document_id: int | None = None

    @property
    def is_cover(self) -> bool:
        return self.kind == COVER

    def encode(self) -> str:
        if self.kind == SEPARATOR:
            return f"{PREFIX}|{SEPARATOR}"
        return "|".join(
            str(v)
            for v in (
                PREFIX,
                COVER,
                self.tenant_id,
                self.client_id,
                self.document_type_id,
                self.document_id or 0,
            )
        )


def cover(
    tenant_id: int, client_id: int, document_type_id: int, document_id: int | None = None
) -> SheetCode:
    return SheetCode(COVER, tenant_id, client_id, document_type_id, document_id)


SEPARATOR_CODE = SheetCode(SEPARATOR)


def _positive(text: str, *, zero: bool = False) -> int | None:
    if not text.isdigit() or len(text) > 10:
        return None
    value = int(text)
    if value > _MAX_ID or (value == 0 and not zero):
        return None
    return value


def decode(text: str | None) -> SheetCode | None:
    if not text:
        return None
    parts = text.strip().split("|")
    if parts[0] != PREFIX:
        return None
    if parts[1:] == [SEPARATOR]:
        return SEPARATOR_CODE
    if len(parts) != 6 or parts[1] != COVER:
        return None
    tenant, client, doc_type = (_positive(p) for p in parts[2:5])
    document = _positive(parts[5], zero=True)
    if None in (tenant, client, doc_type) or document is None:
        return None
    return SheetCode(COVER, tenant, client, doc_type, document or None)
