package runtime_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aogo-dev/aogo/runtime"
)

// request sends a request with headers and returns the answer's status
// and headers.
func request(t *testing.T, method, url string, header map[string]string) (int, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode, res.Header
}

// TestNodeCORS: with a list of origins, every unit (the gateway included)
// echoes an allowed Origin with Vary: Origin and answers aoconnect's
// preflights (POST with Content-Type application/octet-stream or
// application/json); another Origin gets no CORS headers. The default
// allows any origin.
func TestNodeCORS(t *testing.T) {
	const app = "https://app.example"
	n := startNode(t, runtime.Config{DataDir: t.TempDir(), CORSOrigins: []string{app + "/", "http://localhost:3000"}})
	base := n.URLs()["gateway"]
	for _, path := range []string{"/mu/", "/su/", "/cu/dry-run?process-id=x", "/graphql", "/tx"} {
		for _, ct := range []string{"content-type", "content-type,accept"} {
			code, h := request(t, http.MethodOptions, base+path, map[string]string{
				"Origin": app, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": ct,
			})
			if code != http.StatusNoContent || h.Get("Access-Control-Allow-Origin") != app ||
				!strings.Contains(h.Get("Access-Control-Allow-Methods"), "POST") ||
				h.Get("Access-Control-Allow-Headers") != ct || !slices.Contains(h.Values("Vary"), "Origin") {
				t.Errorf("preflight of POST %s (%s): %d %v", path, ct, code, h)
			}
		}
		code, h := request(t, http.MethodOptions, base+path, map[string]string{
			"Origin": "https://evil.example", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type",
		})
		if h.Get("Access-Control-Allow-Origin") != "" || h.Get("Access-Control-Allow-Methods") != "" {
			t.Errorf("preflight of POST %s from another origin: %d %v", path, code, h)
		}
	}
	for _, path := range []string{"/", "/info", "/su", "/cu", "/mu", "/node", "/metrics"} {
		code, h := request(t, http.MethodGet, base+path, map[string]string{"Origin": app})
		if code != http.StatusOK || h.Get("Access-Control-Allow-Origin") != app || !slices.Contains(h.Values("Vary"), "Origin") {
			t.Errorf("GET %s: %d %v", path, code, h)
		}
		if _, h := request(t, http.MethodGet, base+path, map[string]string{"Origin": "https://evil.example"}); h.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("GET %s from another origin: %v", path, h)
		}
	}
	closeNode(t, n)

	n = startNode(t, runtime.Config{DataDir: t.TempDir(), Units: []string{runtime.UnitGateway, runtime.UnitSU}})
	base = n.URLs()["gateway"]
	for _, path := range []string{"/", "/su"} {
		if _, h := request(t, http.MethodGet, base+path, map[string]string{"Origin": "https://any.example"}); h.Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("default: GET %s: %v", path, h)
		}
	}
	code, h := request(t, http.MethodOptions, base+"/su/", map[string]string{
		"Origin": "https://any.example", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type",
	})
	if code != http.StatusNoContent || h.Get("Access-Control-Allow-Origin") != "*" || h.Get("Access-Control-Allow-Headers") != "content-type" {
		t.Errorf("default: preflight: %d %v", code, h)
	}
	closeNode(t, n)
}

func TestStartRejectsCORSOrigins(t *testing.T) {
	for _, origins := range [][]string{{"app.example"}, {"https://app.example/path"}, {"*", "https://app.example"}} {
		n, err := runtime.Start(context.Background(), runtime.Config{DataDir: t.TempDir(), Listen: "127.0.0.1:0", CORSOrigins: origins})
		if err == nil {
			n.Close(context.Background())
			t.Errorf("Start with CORSOrigins %q: no error", origins)
		}
	}
}

// TestNodeAdmin: the MU's admin endpoints answer the node's own machine,
// not a request a reverse proxy forwarded, unless it has the token.
func TestNodeAdmin(t *testing.T) {
	const token = "test-admin-token-0123456789abcdef"
	n := startNode(t, runtime.Config{DataDir: t.TempDir(), AdminToken: token})
	mu := n.URLs()["mu"]
	proxied := map[string]string{"X-Forwarded-For": "203.0.113.9"}
	for _, tc := range []struct {
		header   map[string]string
		expected int
	}{
		{nil, http.StatusOK},
		{proxied, http.StatusForbidden},
		{map[string]string{"X-Forwarded-For": "203.0.113.9", "Authorization": "Bearer " + token}, http.StatusOK},
		{map[string]string{"X-Forwarded-For": "203.0.113.9", "Authorization": "Bearer nope"}, http.StatusForbidden},
	} {
		for _, path := range []string{mu + "/admin/crank", mu + "/admin/dead-letters"} {
			if code, _ := request(t, http.MethodGet, path, tc.header); code != tc.expected {
				t.Errorf("GET %s with %v: %d, want %d", path, tc.header, code, tc.expected)
			}
		}
		// A state dump is an admin endpoint too (its process is unknown:
		// past the guard, the CU answers 404).
		want := tc.expected
		if want == http.StatusOK {
			want = http.StatusNotFound
		}
		path := n.URLs()["cu"] + "/state/" + strings.Repeat("p", 43)
		if code, _ := request(t, http.MethodGet, path, tc.header); code != want {
			t.Errorf("GET %s with %v: %d, want %d", path, tc.header, code, want)
		}
	}
	// Not admin: the metrics and the MU's own API.
	for _, path := range []string{"/metrics", "/mu"} {
		if code, _ := request(t, http.MethodGet, n.URLs()["gateway"]+path, proxied); code != http.StatusOK {
			t.Errorf("GET %s through a proxy: %d", path, code)
		}
	}
	closeNode(t, n)
}
