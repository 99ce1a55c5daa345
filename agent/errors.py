# ruff: noqa: N818  (the names are the agreed interface; they read as events, not "Error"s)
"""The agent's error tree.

Every error the agent raises on purpose is an `AgentError`. Its message is one
line that says what happened and what to do next; it never holds a secret.
`main()` turns any of them into ``error: <message>`` and `exit_code`.

Two kinds are *retriable signals* rather than failures: `PrerequisiteFailed`
(another writer changed the zone between read and write) and `ServerFailure`
(Knot 3.2 failed a whole batch of queued UPDATEs, possibly because of another
client's message). The applier re-reads, re-plans and retries on those; they
still carry a clear message for when the retries run out.
"""

from __future__ import annotations


class AgentError(Exception):
    """Base of every error the agent reports to the user."""

    exit_code: int = 1
    #: The server answered the UPDATE this error is about with an error, so it
    #: applied nothing of it (RFC 2136 §3: an UPDATE is all-or-nothing).
    not_applied: bool = False


class UsageError(AgentError):
    """Bad command line: conflicting or missing options."""

    exit_code = 2


class InputError(AgentError):
    """A file we were given (desired document, key file) is unusable."""


class KeyFileError(InputError):
    """The TSIG key file is unreadable, malformed or unsupported."""


class ServerUnreachable(AgentError):
    """No connection to the DNS server: refused, timed out or reset."""


class TransferError(AgentError):
    """The AXFR did not complete; nothing read from it may be used."""


class TsigError(AgentError):
    """The server rejected our TSIG key or signature, or its answer failed
    TSIG verification (bad key, bad signature, clock skew). `not_applied`
    when the rejection is the server's answer."""

    def __init__(self, message: str, *, answered: bool = False) -> None:
        super().__init__(message)
        self.not_applied = answered


class UpdateRefused(AgentError):
    """The server refused an UPDATE (REFUSED, NOTAUTH, NOTZONE, FORMERR, ...).
    `not_applied` when the refusal is the server's answer (its rcode)."""

    def __init__(self, message: str, *, answered: bool = False) -> None:
        super().__init__(message)
        self.not_applied = answered


class ConflictsPresent(AgentError):
    """Conflicts exist and ``--on-conflict fail`` was given; nothing was applied."""

    exit_code = 3


class UnsafePlan(AgentError):
    """The plan exceeds a safety threshold; ``--force`` is needed to apply it."""


class PrerequisiteFailed(AgentError):
    """An UPDATE's prerequisites failed (YXDOMAIN, YXRRSET, NXDOMAIN, NXRRSET):
    the zone changed since it was read and nothing was applied. Retriable."""

    not_applied = True

    def __init__(self, message: str, rcode_name: str = "") -> None:
        super().__init__(message)
        #: The DNS rcode as text, e.g. ``"NXRRSET"``; empty if unknown.
        self.rcode_name = rcode_name


class ServerFailure(AgentError):
    """The server answered SERVFAIL and applied nothing. Retriable."""

    not_applied = True
