"""Unit tests of launchpad_script: the user's script run as __main__ with its own line numbers."""

import sys
import unittest

import launchpad_script as ls


def run(script, params=None, frame=None, **job):
    job = dict(job, script=script)
    return ls.run_script(job, params or {}, frame)


class ScriptTest(unittest.TestCase):
    def test_Script_SeesParamsAndInputUnderItsName(self):
        ns = run("out = (n + 1, len(In))\n", {"n": 41}, [1, 2, 3], input_name="In")
        self.assertEqual(ns["out"], (42, 3))
        ns = run("x = InputDataSet\n", frame="frame")
        self.assertEqual(ns["x"], "frame")

    def test_Script_PredefinesPandasAsSQLServerDoes(self):
        # Microsoft's quickstarts call pandas.Series(...) without an import;
        # nothing else (no pd, no numpy) is predefined there; launchpad_query
        # is the way back to the instance (implied authentication).
        ns = run("s = pandas.Series([1, 2])\n"
                 "names = sorted(k for k in globals() if not k.startswith('__'))\n")
        self.assertEqual(list(ns["s"]), [1, 2])
        self.assertEqual(ns["names"], ["InputDataSet", "launchpad_query", "pandas", "s"])
        with self.assertRaises(ls.ScriptFailed) as ctx:
            run("pd.Series([1])\n")
        self.assertEqual(ctx.exception.info["type"], "NameError")

    def test_Script_RunsAsMainAndRestoresTheModule(self):
        before = sys.modules["__main__"]
        ns = run("import sys, pickle\n"
                 "def double(x):\n"
                 "    return 2 * x\n"
                 "name = __name__\n"
                 "same = sys.modules['__main__'].double is double\n"
                 "back = pickle.loads(pickle.dumps(double))(4)\n")
        self.assertEqual((ns["name"], ns["same"], ns["back"]), ("__main__", True, 8))
        self.assertIs(sys.modules["__main__"], before)

    def test_Script_ErrorsReportTheUsersLinesOnly(self):
        cases = {
            "runtime": ("x = 1\ndef f(d):\n    return 1 / d\nf(0)\n", "ZeroDivisionError", "3"),
            "syntax": ("x = 1\ny = (\n", "SyntaxError", "2"),
            "nested_compile": ("exec(compile('a = (', '<script>', 'exec'))\n", "SyntaxError", "1"),
            "exit_code": ("import sys\nsys.exit(3)\n", "SystemExit", "2"),
            "keyboard_interrupt": ("raise KeyboardInterrupt\n", "KeyboardInterrupt", "1"),
        }
        for name, (script, typ, line) in cases.items():
            with self.subTest(name):
                with self.assertRaises(ls.ScriptFailed) as cm:
                    run(script)
                info = cm.exception.info
                self.assertEqual((info["kind"], info["type"]), ("script", typ))
                self.assertEqual(info["line"], line)
                self.assertNotIn("launchpad_", info["traceback"])

    def test_Script_ExitZeroIsANormalEnd(self):
        ns = run("x = 1\nraise SystemExit(0)\n")
        self.assertEqual(ns["x"], 1)
        run("import sys\nsys.exit()\n")


if __name__ == "__main__":
    unittest.main()
