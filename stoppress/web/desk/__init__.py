"""The desk: the newsroom's web UI at /desk, for reporters, editors and admins.

Pages and form posts live here; every write to blogs and entries made from the desk's scripts goes
through the same JSON API as programs (/api/v1), authenticated by the session cookie plus a CSRF header.
"""
