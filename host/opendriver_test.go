package host

import (
	"context"
	"errors"
	"testing"

	"github.com/openlaunchpad/launchpad/host/datasource"
)

func TestOpenDriver_UnknownDriver(t *testing.T) {
	if _, err := openDriver(context.Background(), "oracle", "x"); !errors.Is(err, datasource.ErrUnknownDriver) {
		t.Fatalf("err = %v, want datasource.ErrUnknownDriver", err)
	}
}
