package main

import (
	"errors"
	"fmt"
	"os"
	"runtime/debug"
)

const usage = `usage: launchpad <command> [flags]

Host:
  dev      run a development host on an embedded SQLite instance
  serve    run a host from a configuration file
Callers:
  exec     run a script on a host
Operators:
  jobs     list running and recent jobs (--format json)
  cancel   cancel a running job
Administrators:
  config   validate a configuration file (config validate --config FILE)
  table    create a table on a SQLite instance file from T-SQL declarations
           and literals (table create --db F --name T --columns D < rows.json)
  key      generate signing keys
  plugin   sign, register, list and remove launchers
  trust    add, list and revoke trusted publishers
Other:
  version  print the version (also --version)

Run 'launchpad <command> -h' for a command's flags.
`

// errUsage marks errors that are the caller's wording, not a failure.
var errUsage = errors.New("usage")

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	cmd, args := os.Args[1], os.Args[2:]
	var err error
	switch cmd {
	case "dev":
		err = runDev(args)
	case "serve":
		err = runServe(args)
	case "exec":
		os.Exit(runExec(args))
	case "jobs":
		err = runJobs(args)
	case "cancel":
		err = runCancel(args)
	case "key":
		err = runKey(args)
	case "plugin":
		err = runPlugin(args)
	case "trust":
		err = runTrust(args)
	case "config":
		err = runConfig(args)
	case "table":
		err = runTable(args)
	case "sandbox-init":
		os.Exit(runSandboxInit(args))
	case "version", "--version":
		fmt.Println(versionString())
		return
	case "help", "-h", "--help":
		fmt.Print(usage)
		return
	default:
		fmt.Fprintf(os.Stderr, "launchpad: unknown command %q\n\n%s", cmd, usage)
		os.Exit(2)
	}
	if errors.Is(err, errHelp) {
		return
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "launchpad %s: %v\n", cmd, err)
		if errors.Is(err, errUsage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

// version is set at link time by packagers (-ldflags "-X main.version=…").
var version = ""

// versionString is "launchpad VERSION (go1.x, vcs REVISION[+dirty])": the
// build's own module and VCS stamps when no version was linked in.
func versionString() string {
	v, rev, dirty := version, "", false
	info, ok := debug.ReadBuildInfo()
	if ok {
		if v == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			v = info.Main.Version
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
	}
	if v == "" {
		v = "dev"
	}
	out := "launchpad " + v
	if ok {
		out += " (" + info.GoVersion
		if rev != "" {
			if len(rev) > 12 {
				rev = rev[:12]
			}
			out += ", vcs " + rev
			if dirty {
				out += "+dirty"
			}
		}
		out += ")"
	}
	return out
}
