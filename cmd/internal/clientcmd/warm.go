package clientcmd

import (
	"context"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"github.com/openlaunchpad/launchpad/client"
	"github.com/openlaunchpad/launchpad/cmd/internal/cli"
	"github.com/openlaunchpad/launchpad/host/api/proto"
	"github.com/openlaunchpad/launchpad/internal/untrusted"
)

// listWarm writes `jobs --warm`: each launcher's warm runtimes.
func listWarm(address string, tlsFiles *client.TLSFiles, format string) error {
	var pools []*proto.WarmPool
	if err := callHost(address, tlsFiles, func(ctx context.Context, c *client.Client) (err error) {
		pools, err = c.WarmPools(ctx)
		return err
	}); err != nil {
		return err
	}
	if format == "json" {
		return writeWarmJSON(os.Stdout, pools)
	}
	return writeWarmTable(os.Stdout, pools)
}

// warmJSON is one launcher's warm runtimes in `jobs --warm --format json`.
type warmJSON struct {
	Launcher    string `json:"launcher"`
	Target      int32  `json:"target"`
	Ready       int32  `json:"ready"`
	Preparing   int32  `json:"preparing"`
	MemoryBytes int64  `json:"memory_bytes"`
	Workers     int32  `json:"workers"`
	Served      uint64 `json:"served"`
	Note        string `json:"note,omitempty"`
}

func writeWarmJSON(w io.Writer, pools []*proto.WarmPool) error {
	out := make([]warmJSON, 0, len(pools))
	for _, p := range pools {
		out = append(out, warmJSON{Launcher: p.GetLauncher(), Target: p.GetTarget(), Ready: p.GetReady(),
			Preparing: p.GetPreparing(), MemoryBytes: p.GetMemoryBytes(), Workers: p.GetWorkers(),
			Served: p.GetServed(), Note: p.GetNote()})
	}
	return cli.WriteJSON(w, out)
}

func writeWarmTable(w io.Writer, pools []*proto.WarmPool) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "LAUNCHER\tWARM\tREADY\tPREPARING\tMEMORY\tWORKERS\tSERVED\tNOTE")
	for _, p := range pools {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\t%d\t%d\t%s\n", p.GetLauncher(), p.GetTarget(), p.GetReady(),
			p.GetPreparing(), bytesCell(p.GetMemoryBytes()), p.GetWorkers(), p.GetServed(), untrusted.String(dash(p.GetNote()), 200))
	}
	return tw.Flush()
}
