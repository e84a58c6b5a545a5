package telemetry

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Server serves the metrics over HTTP at /metrics.
type Server struct {
	ln  net.Listener
	srv *http.Server
	log hclog.Logger
}

// Listen opens the metrics listener on address (host:port). It is opened
// before the host serves so a taken port fails the start.
func Listen(address string, m *Metrics, logger hclog.Logger) (*Server, error) {
	ln, err := net.Listen("tcp", address)
	if err != nil {
		return nil, fmt.Errorf("telemetry listener: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorLog: hclogPrinter{logger}, MaxRequestsInFlight: 4, Timeout: 10 * time.Second,
	}))
	return &Server{ln: ln, log: logger.Named("telemetry"), srv: &http.Server{
		Handler: mux, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: time.Minute, MaxHeaderBytes: 16 << 10,
	}}, nil
}

// Addr is the listener's address (its port when address asked for :0).
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Serve serves until Close.
func (s *Server) Serve() error {
	s.log.Info("serving metrics", "address", s.Addr())
	if err := s.srv.Serve(s.ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Close stops the listener, letting a scrape in progress finish briefly.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return s.srv.Shutdown(ctx)
}

// hclogPrinter gives promhttp's error log to hclog.
type hclogPrinter struct{ log hclog.Logger }

func (p hclogPrinter) Println(v ...any) { p.log.Error("metrics", "error", fmt.Sprint(v...)) }
