"""Token secrets and their stored form (no database)."""

from __future__ import annotations

import hashlib

from models.enums import TokenRole
from tasks.reports.tokens import TOKEN_PREFIX, Principal, hash_token


def test_the_stored_form_is_the_sha256_of_the_token() -> None:
    secret = TOKEN_PREFIX + "abc"
    assert hash_token(secret) == hashlib.sha256(secret.encode()).hexdigest()
    assert len(hash_token(secret)) == 64


def test_a_principal_is_named_by_id_and_label_never_by_secret() -> None:
    principal = Principal(token_id=7, role=TokenRole.UNIT, label="街道联络员", unit_id=1, unit_code="jiedao")
    assert principal.display == "token #7 '街道联络员'"
