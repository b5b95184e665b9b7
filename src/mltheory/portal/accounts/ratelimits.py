"""Rate limits for sign-in, sign-up and resending the confirmation link (django-ratelimit).

The counters live in Django's ``default`` cache. The local-memory cache used in development is
per process, so in production (several gunicorn workers) the cache must be shared — set
``MLT_PORTAL_CACHE=database`` and run ``python -m mltheory.portal createcachetable`` once (or
point ``CACHES`` at Redis/Memcached) — or each worker counts separately and the effective limit
multiplies by the number of workers.

Rates are read from settings at request time so a deployment can tune them:
``ACCOUNTS_LOGIN_RATE_PER_IP``, ``ACCOUNTS_LOGIN_RATE_PER_ACCOUNT``, ``ACCOUNTS_SIGNUP_RATE_PER_IP``,
``ACCOUNTS_RESEND_RATE_PER_ACCOUNT``.
``RATELIMIT_ENABLE = False`` (django-ratelimit's own switch) turns them all off.

Behind the reverse proxy every request comes from the proxy's address, so per-IP limits would
count all visitors together; production settings set ``RATELIMIT_IP_META_KEY`` to
:func:`client_ip`, which reads the address the proxy appended to ``X-Forwarded-For``.
"""

from __future__ import annotations

from django.conf import settings

DEFAULT_RATES = {
    "ACCOUNTS_LOGIN_RATE_PER_IP": "30/m",
    # Guessing one account's password is the attack; per-account limits stop it even from many IPs.
    "ACCOUNTS_LOGIN_RATE_PER_ACCOUNT": "10/m",
    "ACCOUNTS_SIGNUP_RATE_PER_IP": "10/h",
    # Each resend mails the account's address, which need not be the signer-up's own: without a
    # limit, one sign-up could flood a stranger's inbox.
    "ACCOUNTS_RESEND_RATE_PER_ACCOUNT": "5/h",
}


def _rate(name: str):
    def rate(group, request) -> str:
        return getattr(settings, name, DEFAULT_RATES[name])

    return rate


login_rate_per_ip = _rate("ACCOUNTS_LOGIN_RATE_PER_IP")
login_rate_per_account = _rate("ACCOUNTS_LOGIN_RATE_PER_ACCOUNT")
signup_rate_per_ip = _rate("ACCOUNTS_SIGNUP_RATE_PER_IP")
resend_rate_per_account = _rate("ACCOUNTS_RESEND_RATE_PER_ACCOUNT")


def login_account(group, request) -> str:
    """The account a sign-in attempt is for, as sign-in itself matches it.

    Sign-in ignores case and surrounding spaces in the address (EmailAuthenticationForm), so the
    count must too: keyed on the raw field, "Ada@mit.edu", "ADA@mit.edu", ... would each get a
    fresh allowance of guesses at the same password. And an account signs in by username or by
    email (EmailOrUsernameBackend): both are guesses at the one account, so an existing account
    is counted by its id.
    """
    from .backends import EmailOrUsernameBackend

    identifier = request.POST.get("username", "").strip()
    user = EmailOrUsernameBackend.find_user(identifier) if identifier else None
    return f"user:{user.pk}" if user is not None else identifier.lower()


def client_ip(request) -> str:
    """The client's address as our own proxy saw it: the last ``X-Forwarded-For`` entry.

    Only the last entry is trusted, because the proxy appends the address it saw to whatever the
    client sent; earlier entries are the client's to forge.
    """
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    last = forwarded.rsplit(",", 1)[-1].strip()
    return last or request.META["REMOTE_ADDR"]
