"""The user's script in the Launchpad Python runtime: compile and run it as __main__.

The script's globals are what SQL Server's Python session predefines: the
module pandas (as `pandas`), the input DataFrame and the params; and
launchpad_query (launchpad_query.py), its way back to the instance.

Errors are reported with the user's own line numbers and a traceback cut to
the script's frames (file "<script>"), never the runtime's.
"""

import builtins
import linecache
import sys
import traceback
import types

import pandas

import launchpad_query


class ScriptFailed(Exception):
    """The script failed; info is the ERROR dictionary (kind script, type, message, line, traceback)."""

    def __init__(self, info):
        super().__init__(info.get("message", ""))
        self.info = info


def run_script(job, params, frame):
    """Executes the script; returns its namespace. Raises ScriptFailed."""
    session = Session(job, params)
    session.run(frame)
    return session.ns


class Session:
    """The script compiled once and its module, which keeps its variables
    from run to run (chunked jobs run the script once per chunk)."""

    def __init__(self, job, params):
        script = job.get("script", "")
        self.input_name = job.get("input_name") or "InputDataSet"
        linecache.cache["<script>"] = (len(script), None, script.splitlines(True), "<script>")
        try:
            self.code = compile(script, "<script>", "exec", dont_inherit=True)
        except SyntaxError as exc:
            info = {"kind": "script", "type": type(exc).__name__, "message": str(exc),
                    "traceback": "".join(traceback.format_exception_only(type(exc), exc))}
            if exc.lineno:
                info["line"] = str(exc.lineno)
            raise ScriptFailed(info)
        self.module = types.ModuleType("__main__")
        self.ns = self.module.__dict__
        self.ns["__builtins__"] = builtins
        # SQL Server's Python session has pandas imported under its own name
        # (Microsoft's quickstarts call pandas.Series without an import); nothing
        # else is predefined there, so nothing else is here but the way back
        # to the instance below.
        self.ns["pandas"] = pandas
        # SQL Server scripts reach their instance through implied
        # authentication; here one function does, with the caller's rights.
        self.ns["launchpad_query"] = launchpad_query.query
        self.ns.update(params)

    def run(self, frame):
        """Runs the script once on frame as the input data set. Raises ScriptFailed."""
        ns = self.ns
        ns[self.input_name] = frame
        # pickle/multiprocessing look functions up in sys.modules["__main__"].
        saved = sys.modules.get("__main__")
        sys.modules["__main__"] = self.module
        try:
            exec(self.code, ns)
        except SystemExit as exc:
            if exc.code not in (None, 0):
                raise ScriptFailed(_script_error(exc, "script called exit(%r)" % (exc.code,)))
        except BaseException as exc:  # the user's KeyboardInterrupt etc. is a script error too
            raise ScriptFailed(_script_error(exc))
        finally:
            sys.modules["__main__"] = saved


def _script_error(exc, message=None):
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename != "<script>":
        tb = tb.tb_next
    line = None
    t = tb
    while t is not None:
        if t.tb_frame.f_code.co_filename == "<script>":
            line = t.tb_lineno
        t = t.tb_next
    if isinstance(exc, SyntaxError) and exc.filename == "<script>" and exc.lineno:
        line = exc.lineno  # compile()/exec() of script text inside the script
    info = {"kind": "script", "type": type(exc).__name__,
            "message": message if message is not None else str(exc),
            "traceback": "".join(traceback.format_exception(type(exc), exc, tb))}
    if line is not None:
        info["line"] = str(line)
    return info
