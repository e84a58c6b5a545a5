package host

import (
	"fmt"
	"net"
	"os"
	"strings"
)

// notifyReady tells systemd (Type=notify) the host serves: READY=1 on the
// datagram socket named by NOTIFY_SOCKET ("@name" is an abstract socket).
// Without NOTIFY_SOCKET it does nothing.
func notifyReady() error {
	path := os.Getenv("NOTIFY_SOCKET")
	if path == "" {
		return nil
	}
	if strings.HasPrefix(path, "@") {
		path = "\x00" + path[1:]
	}
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return fmt.Errorf("sd_notify: %w", err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("READY=1\nSTATUS=serving\n")); err != nil {
		return fmt.Errorf("sd_notify: %w", err)
	}
	return nil
}
