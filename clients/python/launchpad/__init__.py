"""Launchpad's Python client: run R and Python scripts on a Launchpad host
next to its database and get the result back as a pandas DataFrame.

    import launchpad
    df, out = launchpad.execute(
        "OutputDataSet = InputDataSet[InputDataSet.units >= n]\\ntotal = float(OutputDataSet.units.sum())",
        input_query="SELECT region, units FROM sales",
        params={"n": 10, "total": launchpad.Output("float")},
        address="unix://state/launchpad.sock")

It speaks the host's gRPC API (the one `launchpad exec` uses) over the unix
socket (default LAUNCHPAD_ADDR, else unix:///var/lib/launchpad/launchpad.sock)
or TCP with mutual TLS (tls://HOST:PORT with cert, key, ca or
LAUNCHPAD_CERT, LAUNCHPAD_KEY, LAUNCHPAD_CA). The DataFrame's types are
those a script's InputDataSet gets (the same decoding code). A failed job
raises a JobError subclass (ScriptError with the script's traceback,
PermissionDenied, LimitExceeded, ...). docs/python-client.md has the rest.
"""

from ._client import DEFAULT_ADDRESS, Client, cancel, execute
from ._params import Output, Param
from ._stream import Message, Result
from .errors import (HostUnreachable, InvalidRequest, JobCancelled, JobError, JobTimeout, LaunchpadError,
                     LimitExceeded, PermissionDenied, ProtocolError, ScriptError)

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_ADDRESS", "Client", "cancel", "execute", "Output", "Param", "Message", "Result",
    "HostUnreachable", "InvalidRequest", "JobCancelled", "JobError", "JobTimeout", "LaunchpadError",
    "LimitExceeded", "PermissionDenied", "ProtocolError", "ScriptError",
]
