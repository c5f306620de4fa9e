"""Who is calling: an `Authorization: Bearer` credential turned into a `Publisher`, or refused.

Two kinds of bearer credential: an AlertHub API key (`ahk_...`, checked against the registry's
argon2 hashes) or, when an issuer is configured, an OAuth 2.0 JWT access token. Either way the
partner must be registered and not revoked, and its registry rights are what it may do; the
`Provenance` says which method and which key id or token subject were used. Failures are counted
per client address (`FailureLimiter`) before anything expensive is tried again.
"""

from __future__ import annotations

from domain.errors import UnauthenticatedError
from domain.partner import Partner
from domain.provenance import AuthMethod, Provenance
from domain.rights import Publisher
from hub.security.keys import PREFIX
from hub.security.limiter import FailureLimiter
from hub.security.registry import PartnerRegistry
from hub.security.tokens import TokenVerifier
from hub.settings import Settings


class Authenticator:
    def __init__(
        self,
        registry: PartnerRegistry,
        limiter: FailureLimiter,
        tokens: TokenVerifier | None = None,
    ) -> None:
        self.registry, self.limiter, self.tokens = registry, limiter, tokens

    @classmethod
    def from_settings(cls, registry: PartnerRegistry, settings: Settings) -> Authenticator:
        limiter = FailureLimiter(settings.auth_failure_limit, settings.auth_failure_window)
        tokens = None
        if settings.oauth_issuer and settings.oauth_audience and settings.oauth_jwks:
            tokens = TokenVerifier(
                settings.oauth_issuer,
                settings.oauth_audience,
                settings.oauth_jwks,
                settings.oauth_partner_claim,
            )
        return cls(registry, limiter, tokens)

    def authenticate(
        self, authorization: str | None, client: str, request_id: str | None = None
    ) -> Publisher:
        """The publisher an Authorization header proves; `UnauthenticatedError` otherwise."""
        self.limiter.check(client)
        try:
            return self._publisher(authorization, request_id)
        except UnauthenticatedError as exc:
            if authorization:  # a missing header is not an attempt
                self.limiter.failed(client, str(exc))
            raise

    def _publisher(self, authorization: str | None, request_id: str | None) -> Publisher:
        if not authorization:
            raise UnauthenticatedError("this needs credentials: Authorization: Bearer <key>")
        scheme, _, credential = authorization.partition(" ")
        credential = credential.strip()
        if scheme.lower() != "bearer" or not credential:
            raise UnauthenticatedError("only Authorization: Bearer <key or token> is accepted")
        if credential.startswith(PREFIX):
            partner, key_id = self.registry.authenticate_key(credential)
            return _publisher(partner, AuthMethod.API_KEY, key_id, request_id)
        if self.tokens is None:
            raise UnauthenticatedError("not an AlertHub API key (and no token issuer is set)")
        name, subject = self.tokens.verify(credential)
        named = self.registry.partner_named(name)
        if named is None:
            raise UnauthenticatedError(f"the token names partner {name!r}, which is not active")
        return _publisher(named, AuthMethod.OAUTH2, subject, request_id)


def _publisher(
    partner: Partner, method: AuthMethod, credential: str, request_id: str | None
) -> Publisher:
    provenance = Provenance(
        partner=partner.name, auth_method=method, credential=credential, request_id=request_id
    )
    return Publisher(rights=partner.rights, provenance=provenance)
