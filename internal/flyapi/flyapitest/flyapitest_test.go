package flyapitest_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jpops-dev/jpops/internal/flyapi"
	"github.com/jpops-dev/jpops/internal/flyapi/flyapitest"
)

func TestUnsetFuncFailsTheCall(t *testing.T) {
	var f flyapitest.Fly
	if _, err := f.ListMachines(context.Background(), "app"); err == nil || !strings.Contains(err.Error(), "ListMachines") {
		t.Errorf("ListMachines with no Func = %v, want an error naming it", err)
	}
	if _, err := f.GetLogs(context.Background(), "app", flyapi.LogQuery{}); err == nil || !strings.Contains(err.Error(), "GetLogs") {
		t.Errorf("GetLogs with no Func = %v, want an error naming it", err)
	}
}

func TestWrapPassesCallsThrough(t *testing.T) {
	inner := &flyapitest.Fly{
		ListMachinesFunc: func(_ context.Context, app string) ([]flyapi.Machine, error) {
			return []flyapi.Machine{{ID: app + "-m1"}}, nil
		},
		GetLogsFunc: func(_ context.Context, _ string, q flyapi.LogQuery) (flyapi.LogPage, error) {
			return flyapi.LogPage{NextToken: q.NextToken + "1"}, nil
		},
	}
	f := flyapitest.Wrap(inner)
	ms, err := f.ListMachines(context.Background(), "app")
	if err != nil || len(ms) != 1 || ms[0].ID != "app-m1" {
		t.Errorf("ListMachines = %v, %v", ms, err)
	}
	page, err := f.GetLogs(context.Background(), "app", flyapi.LogQuery{NextToken: "4"})
	if err != nil || page.NextToken != "41" {
		t.Errorf("GetLogs = %+v, %v", page, err)
	}
}
