package flysim

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestGrow(t *testing.T) {
	s, err := New(Options{Token: "tok"})
	if err != nil {
		t.Fatal(err)
	}
	s.Grow(1) // fewer than there are: no change
	if got := len(s.MachineIDs()); got != 2 {
		t.Fatalf("Grow(1) left %d machines, want 2", got)
	}
	s.Grow(200)
	ids := s.MachineIDs()
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] || len(id) != 14 {
			t.Fatalf("machine id %q repeated or not 14 characters", id)
		}
		seen[id] = true
	}
	if len(ids) != 200 {
		t.Fatalf("%d machines, want 200", len(ids))
	}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	get := func(path string) *http.Response {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer tok")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	res := get("/v1/apps/autonomath-api/machines")
	var list []struct{ ID, State string }
	if err := json.NewDecoder(res.Body).Decode(&list); err != nil || len(list) != 200 {
		t.Fatalf("machines list: %d entries, err %v", len(list), err)
	}
	res.Body.Close()
	last := ids[len(ids)-1]
	res = get("/v1/apps/autonomath-api/machines/" + last)
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("GET machine %s: status %d", last, res.StatusCode)
	}
	res = get("/api/v1/apps/autonomath-api/logs?instance=" + last)
	var page struct{ Data []json.RawMessage }
	if err := json.NewDecoder(res.Body).Decode(&page); err != nil || len(page.Data) == 0 {
		t.Fatalf("logs of %s: %d entries, err %v", last, len(page.Data), err)
	}
	res.Body.Close()
}
