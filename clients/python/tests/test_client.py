"""Addresses, the request sent, and gRPC failures, against an in-process
gRPC server on a unix socket that serves the API's method names (the real
host is e2e/pyclient_test.go's)."""

import concurrent.futures
import os
import shutil
import tempfile
import threading
import unittest
from unittest import mock

import grpc

import launchpad
from launchpad import _client
from launchpad import launchpad_pb2 as pb


class ResolveTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.dir)
        self.sock = os.path.join(self.dir, "h.sock")
        open(self.sock, "w").close()

    def test_unix_paths_become_absolute(self):
        rel = os.path.relpath(self.sock)
        self.assertEqual(_client.resolve("unix://" + rel), ("unix:" + self.sock, None))
        self.assertEqual(_client.resolve("unix://" + self.sock), ("unix:" + self.sock, None))

    def test_environment_gives_the_default(self):
        with mock.patch.dict(os.environ, {"LAUNCHPAD_ADDR": "unix://" + self.sock}):
            self.assertEqual(_client.resolve(None), ("unix:" + self.sock, None))
        with mock.patch.dict(os.environ, {"LAUNCHPAD_ADDR": ""}):
            with self.assertRaises(launchpad.HostUnreachable) as cm:
                _client.resolve(None)
            self.assertIn("/var/lib/launchpad/launchpad.sock", str(cm.exception))

    def test_missing_socket_is_unreachable(self):
        with self.assertRaises(launchpad.HostUnreachable) as cm:
            launchpad.execute("x = 1", address="unix://" + self.sock + ".gone")
        self.assertIn("is the host running?", str(cm.exception))

    def test_bad_addresses(self):
        for addr in ("unix://", "tcp://h:1", "h:1", "tls://", "tls://host"):
            with self.subTest(addr):
                with self.assertRaises(ValueError):
                    _client.resolve(addr, cert="c", key="k", ca="a")

    def test_tls_needs_a_client_certificate(self):
        f = self.sock
        with mock.patch.dict(os.environ, {"LAUNCHPAD_CERT": "", "LAUNCHPAD_KEY": "", "LAUNCHPAD_CA": ""}):
            for given in ({}, {"cert": f, "key": f}, {"cert": f, "ca": f}, {"key": f, "ca": f}):
                with self.subTest(given=sorted(given)):
                    with self.assertRaises(ValueError) as cm:
                        _client.resolve("tls://127.0.0.1:7071", **given)
                    self.assertIn("client certificate, its key and the host's CA", str(cm.exception))
        with self.assertRaises(ValueError) as cm:
            _client.resolve("tls://127.0.0.1:7071", cert=f + ".none", key=f, ca=f)
        self.assertIn("cert file", str(cm.exception))

    def test_tls_files_from_the_environment(self):
        env = {"LAUNCHPAD_CERT": self.sock, "LAUNCHPAD_KEY": self.sock, "LAUNCHPAD_CA": self.sock}
        with mock.patch.dict(os.environ, env):
            target, creds = _client.resolve("tls://db.example:7071")
        self.assertEqual(target, "db.example:7071")
        self.assertIsInstance(creds, grpc.ChannelCredentials)


class FakeHost:
    """A gRPC server with the API's Execute and Cancel, answering with
    handler(request, context)."""

    def __init__(self, test, execute):
        self.dir = tempfile.mkdtemp()
        test.addCleanup(shutil.rmtree, self.dir)
        self.sock = os.path.join(self.dir, "h.sock")
        self.requests, self.cancelled = [], threading.Event()
        handlers = {
            "Execute": grpc.unary_stream_rpc_method_handler(
                self._execute(execute), request_deserializer=pb.ExecuteRequest.FromString,
                response_serializer=pb.ExecuteResponse.SerializeToString),
            "ListJobs": grpc.unary_unary_rpc_method_handler(
                lambda req, ctx: pb.ListJobsResponse(jobs=[
                    pb.JobInfo(job_id="j-1", caller="alice (1001)", state="running", rows_in=req.limit),
                    pb.JobInfo(job_id="j-0", state="failed", error_code=pb.ERROR_CODE_SCRIPT, error="boom")]),
                request_deserializer=pb.ListJobsRequest.FromString,
                response_serializer=pb.ListJobsResponse.SerializeToString),
            "Cancel": grpc.unary_unary_rpc_method_handler(
                lambda req, ctx: pb.CancelResponse(found=req.job_id == "j-known"),
                request_deserializer=pb.CancelRequest.FromString,
                response_serializer=pb.CancelResponse.SerializeToString),
        }
        self.server = grpc.server(concurrent.futures.ThreadPoolExecutor(2))
        self.server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler("launchpad.api.v1.Launchpad",
                                                                                  handlers)])
        self.server.add_insecure_port("unix:" + self.sock)
        self.server.start()
        test.addCleanup(self.server.stop, None)
        self.address = "unix://" + self.sock

    def _execute(self, execute):
        def handler(req, ctx):
            self.requests.append(req)
            ctx.add_callback(self.cancelled.set)
            yield from execute(req, ctx)
        return handler


def ok(req, ctx):
    yield pb.ExecuteResponse(started=pb.JobStarted(job_id="j-9"))
    yield pb.ExecuteResponse(status=pb.Status(job_id="j-9"))


class CallTest(unittest.TestCase):
    def test_request_carries_script_query_and_params(self):
        host = FakeHost(self, ok)
        r = launchpad.execute("OutputDataSet = InputDataSet", input_query="SELECT 1 AS a",
                              params={"n": 5, "total": launchpad.Output("float")}, language="R",
                              address=host.address, job_id="my-job", result_schema="a int")
        self.assertEqual(r.job_id, "j-9")
        req = host.requests[0]
        self.assertEqual((req.language, req.script, req.input_query), ("R", "OutputDataSet = InputDataSet",
                                                                      "SELECT 1 AS a"))
        self.assertEqual((req.params, dict(req.param_values)), ("@n bigint, @total float OUTPUT", {"n": "5"}))
        self.assertEqual((req.input_name, req.output_name), ("InputDataSet", "OutputDataSet"))
        self.assertEqual((req.job_id, req.result_schema), ("my-job", "a int"))

    def test_refusal_raises_permission_denied(self):
        def refuse(req, ctx):
            ctx.abort(grpc.StatusCode.PERMISSION_DENIED,
                      "permission denied: caller alice (1001) has no grant for language R")
            yield  # a generator, like every Execute handler
        host = FakeHost(self, refuse)
        with self.assertRaises(launchpad.PermissionDenied) as cm:
            launchpad.execute("x <- 1", language="R", address=host.address)
        self.assertIn("no grant for language R", str(cm.exception))

    def test_timeout_drops_the_call_and_names_the_job(self):
        release = threading.Event()
        self.addCleanup(release.set)

        def slow(req, ctx):
            yield pb.ExecuteResponse(started=pb.JobStarted(job_id="j-slow"))
            release.wait(10)
        host = FakeHost(self, slow)
        with self.assertRaises(launchpad.JobTimeout) as cm:
            launchpad.execute("import time; time.sleep(60)", address=host.address, timeout=0.5)
        self.assertEqual(cm.exception.job_id, "j-slow")
        # The host sees the call end, which cancels the job there.
        self.assertTrue(host.cancelled.wait(5))

    def test_interrupt_drops_the_call(self):
        # Ctrl-C (or any exception) while the job runs ends the call, and
        # with it the job on the host, instead of leaving it running.
        release = threading.Event()
        self.addCleanup(release.set)

        def chatty(req, ctx):
            yield pb.ExecuteResponse(message=pb.Message(stream=pb.Message.STREAM_STDOUT, text=b"tick"))
            release.wait(10)
        host = FakeHost(self, chatty)

        def interrupt(m):
            raise KeyboardInterrupt
        with launchpad.Client(host.address) as c:  # a channel that stays open
            try:
                c.execute("x = 1", on_message=interrupt)
                self.fail("no KeyboardInterrupt")
            except KeyboardInterrupt as exc:
                # Kept, with its traceback's frames (and the call in them),
                # as an interactive session keeps the last exception: the
                # call must not be ended only by garbage collection.
                interrupted = exc
            self.assertTrue(host.cancelled.wait(5))
            del interrupted

    def test_host_gone_is_unreachable(self):
        host = FakeHost(self, ok)
        host.server.stop(None).wait()
        with self.assertRaises(launchpad.HostUnreachable):
            launchpad.execute("x = 1", address=host.address)

    def test_cancel(self):
        host = FakeHost(self, ok)
        self.assertTrue(launchpad.cancel("j-known", address=host.address))
        self.assertFalse(launchpad.cancel("j-other", address=host.address))

    def test_list_jobs(self):
        host = FakeHost(self, ok)
        with launchpad.Client(host.address) as c:
            jobs = c.list_jobs(limit=7)
            with self.assertRaises(ValueError):
                c.list_jobs(limit=-1)
        self.assertEqual([(j["job_id"], j["caller"], j["state"], j["error_code"]) for j in jobs],
                         [("j-1", "alice (1001)", "running", ""), ("j-0", "", "failed", "SCRIPT")])
        self.assertEqual(jobs[0]["rows_in"], 7)  # the limit reached the host
        self.assertEqual(jobs[1]["error"], "boom")

    def test_bad_arguments_send_nothing(self):
        host = FakeHost(self, ok)
        with self.assertRaises(ValueError):
            launchpad.execute("   ", address=host.address)
        with self.assertRaises(ValueError):
            launchpad.execute("x = 1", params={"x": None}, address=host.address)
        self.assertEqual(host.requests, [])


if __name__ == "__main__":
    unittest.main()
