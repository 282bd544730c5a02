"""Scanning intake (issue 17): cover sheets with QR codes, reliable pickup from a scan folder,
splitting batches at cover/separator sheets, and filing the parts as documents through the
upload outbox. Qt-free; the scanning station window (views/scanning_station.py) drives it."""
