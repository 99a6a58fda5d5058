// Package flyapitest is the one fake of the Fly API for tests: a struct of
// Func fields, one per method, so each test states only the calls it expects.
package flyapitest

import (
	"context"
	"fmt"

	"github.com/jpops-dev/jpops/internal/flyapi"
)

// Fly fakes flyapi.Client. A method whose Func is nil fails the call with an
// error naming it, so an unexpected call shows up in the test's verdict.
type Fly struct {
	ListMachinesFunc func(ctx context.Context, app string) ([]flyapi.Machine, error)
	GetLogsFunc      func(ctx context.Context, app string, q flyapi.LogQuery) (flyapi.LogPage, error)
}

var _ flyapi.Client = (*Fly)(nil)

// Wrap fakes nothing yet: every call goes to c until a test replaces a Func.
func Wrap(c flyapi.Client) *Fly {
	return &Fly{ListMachinesFunc: c.ListMachines, GetLogsFunc: c.GetLogs}
}

// ListMachines calls ListMachinesFunc.
func (f *Fly) ListMachines(ctx context.Context, app string) ([]flyapi.Machine, error) {
	if f.ListMachinesFunc == nil {
		return nil, notStubbed("ListMachines")
	}
	return f.ListMachinesFunc(ctx, app)
}

// GetLogs calls GetLogsFunc.
func (f *Fly) GetLogs(ctx context.Context, app string, q flyapi.LogQuery) (flyapi.LogPage, error) {
	if f.GetLogsFunc == nil {
		return flyapi.LogPage{}, notStubbed("GetLogs")
	}
	return f.GetLogsFunc(ctx, app, q)
}

func notStubbed(method string) error {
	return fmt.Errorf("flyapitest: %s called but its Func is not set", method)
}
