"""OAuth 2.0 access tokens: JWTs from one configured issuer, checked with PyJWT.

Partners that get tokens by the client-credentials grant (as the NL GOV Assurance profile for
OAuth 2.0 has Dutch government APIs do) present them as `Authorization: Bearer <jwt>`. The hub
checks the signature against the issuer's JWKS (a file, or a URL PyJWT fetches and caches), the
issuer, the audience and the expiry, and only asymmetric algorithms; a configurable claim names
the registered partner, whose rights then apply exactly as for an API key.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jwt

from domain.errors import ConfigurationError, UnauthenticatedError

ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA"]


class TokenVerifier:
    def __init__(self, issuer: str, audience: str, jwks: str, partner_claim: str) -> None:
        self.issuer, self.audience, self.partner_claim = issuer, audience, partner_claim
        self._client: jwt.PyJWKClient | None = None
        self._keys: jwt.PyJWKSet | None = None
        if jwks.startswith(("https://", "http://")):
            self._client = jwt.PyJWKClient(jwks, cache_keys=True)
        else:
            try:
                self._keys = jwt.PyJWKSet.from_dict(json.loads(Path(jwks).read_text()))
            except (OSError, ValueError, jwt.PyJWTError) as exc:
                raise ConfigurationError(f"ALERTHUB_OAUTH_JWKS {jwks}: {exc}") from exc

    def verify(self, token: str) -> tuple[str, str]:
        """The partner a valid token names, and the token's subject."""
        try:
            claims = jwt.decode(
                token,
                self._signing_key(token),
                algorithms=ALGORITHMS,
                issuer=self.issuer,
                audience=self.audience,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.PyJWTError as exc:
            raise UnauthenticatedError(f"access token refused: {exc}") from exc
        partner = claims.get(self.partner_claim)
        if not isinstance(partner, str) or not partner:
            raise UnauthenticatedError(f"access token has no {self.partner_claim!r} claim")
        return partner, str(claims.get("sub") or partner)[:512]

    def _signing_key(self, token: str) -> Any:
        try:
            if self._client is not None:
                return self._client.get_signing_key_from_jwt(token).key
            assert self._keys is not None
            kid = jwt.get_unverified_header(token).get("kid")
            keys = [k for k in self._keys.keys if kid is None or k.key_id == kid]
        except jwt.PyJWTError as exc:
            raise UnauthenticatedError(f"access token refused: {exc}") from exc
        if len(keys) != 1:
            raise UnauthenticatedError("access token names no single key of the issuer")
        return keys[0].key
