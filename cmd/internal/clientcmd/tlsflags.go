package clientcmd

import (
	"flag"

	"github.com/openlaunchpad/launchpad/client"
)

// addressUsage is the --address flag's help of exec, jobs and cancel.
const addressUsage = "host address: unix://PATH or tls://HOST:PORT (default from LAUNCHPAD_ADDR)"

// tlsFlags adds --cert, --key and --ca, which a tls:// address needs;
// LAUNCHPAD_CERT, LAUNCHPAD_KEY and LAUNCHPAD_CA are their defaults.
func tlsFlags(fs *flag.FlagSet) *client.TLSFiles {
	env := client.TLSFilesFromEnv()
	f := &client.TLSFiles{}
	fs.StringVar(&f.Cert, "cert", env.Cert, "client certificate (PEM) for a tls:// address (default from LAUNCHPAD_CERT)")
	fs.StringVar(&f.Key, "key", env.Key, "the client certificate's private key (PEM) (default from LAUNCHPAD_KEY)")
	fs.StringVar(&f.CA, "ca", env.CA, "CA certificates (PEM) the host's certificate must chain to (default from LAUNCHPAD_CA)")
	return f
}
