"""Offline review (issue 18): take clients out on a laptop, work on them without a connection,
sync the changes back.  Qt-free; see /work/briefs/offline_contract.md for the contract.

- checkout.py  — estimate / check_out (server → encrypted local copy)
- status.py    — who holds which client, the firm's policy
- store.py     — the encrypted store on this workstation (AES-256-GCM, key in the OS keyring)
- session.py   — open a copy as a local replica (embedded PostgreSQL) with a real Context
- sync.py      — replay the offline journal through the services, check-in, revocations
"""
