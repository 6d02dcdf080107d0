package cors

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
)

func TestNew(t *testing.T) {
	for _, tc := range []struct {
		name     string
		origins  []string
		expected []string // nil: an error
	}{
		{name: "nil is any", origins: nil, expected: []string{"*"}},
		{name: "star", origins: []string{"*"}, expected: []string{"*"}},
		{name: "normalised", origins: []string{"https://App.Example/", "http://localhost:3000", "https://app.example"}, expected: []string{"https://app.example", "http://localhost:3000"}},
		{name: "star with others", origins: []string{"*", "https://a.example"}},
		{name: "no scheme", origins: []string{"app.example"}},
		{name: "path", origins: []string{"https://app.example/x"}},
		{name: "empty", origins: []string{""}},
		{name: "null", origins: []string{"null"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := New(tc.origins)
			if tc.expected == nil {
				if err == nil {
					t.Fatalf("New(%q) = %v, want an error", tc.origins, p.Origins())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := p.Origins(); !slices.Equal(got, tc.expected) {
				t.Fatalf("Origins() = %q, want %q", got, tc.expected)
			}
		})
	}
}

// TestHandle checks the headers browsers need: a preflight of aoconnect's
// POST (Content-Type application/octet-stream or application/json) and
// the answer to the request itself, with any origin and with a list.
func TestHandle(t *testing.T) {
	list, err := New([]string{"https://app.example"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name          string
		policy        Policy
		method        string
		origin        string
		reqHeaders    string
		preflight     bool
		allowOrigin   string
		vary          bool
		allowHeaders  string
		allowsMethods bool
	}{
		{name: "any: preflight octet-stream", method: http.MethodOptions, origin: "https://x.example", reqHeaders: "content-type",
			preflight: true, allowOrigin: "*", allowHeaders: "content-type", allowsMethods: true},
		{name: "any: post", method: http.MethodPost, origin: "https://x.example", allowOrigin: "*"},
		{name: "any: no origin", method: http.MethodGet, allowOrigin: "*"},
		{name: "list: preflight json", method: http.MethodOptions, origin: "https://app.example", reqHeaders: "content-type,accept",
			preflight: true, allowOrigin: "https://app.example", vary: true, allowHeaders: "content-type,accept", allowsMethods: true, policy: list},
		{name: "list: preflight default headers", method: http.MethodOptions, origin: "https://APP.example",
			preflight: true, allowOrigin: "https://APP.example", vary: true, allowHeaders: "Content-Type, Accept", allowsMethods: true, policy: list},
		{name: "list: post", method: http.MethodPost, origin: "https://app.example", allowOrigin: "https://app.example", vary: true, policy: list},
		{name: "list: other origin preflight", method: http.MethodOptions, origin: "https://evil.example", reqHeaders: "content-type",
			preflight: true, vary: true, policy: list},
		{name: "list: other origin get", method: http.MethodGet, origin: "https://evil.example", vary: true, policy: list},
		{name: "list: no origin", method: http.MethodGet, vary: true, policy: list},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, "/", nil)
			if tc.origin != "" {
				r.Header.Set("Origin", tc.origin)
			}
			if tc.reqHeaders != "" {
				r.Header.Set("Access-Control-Request-Method", "POST")
				r.Header.Set("Access-Control-Request-Headers", tc.reqHeaders)
			}
			w := httptest.NewRecorder()
			pre := tc.policy.Handle(w, r)
			// Twice, as a node and its gateway do: same headers.
			tc.policy.Handle(httptest.NewRecorder(), r)
			if pre2 := tc.policy.Handle(w, r); pre2 != pre {
				t.Fatal("a second Handle answered differently")
			}
			h := w.Header()
			if pre != tc.preflight {
				t.Fatalf("preflight = %v", pre)
			}
			if pre && w.Code != http.StatusNoContent {
				t.Fatalf("preflight status %d", w.Code)
			}
			if got := h.Get("Access-Control-Allow-Origin"); got != tc.allowOrigin {
				t.Fatalf("Access-Control-Allow-Origin %q, want %q", got, tc.allowOrigin)
			}
			if got := h.Values("Vary"); tc.vary != slices.Equal(got, []string{"Origin"}) {
				t.Fatalf("Vary %q (want Origin: %v)", got, tc.vary)
			}
			if got := h.Get("Access-Control-Allow-Headers"); got != tc.allowHeaders {
				t.Fatalf("Access-Control-Allow-Headers %q, want %q", got, tc.allowHeaders)
			}
			if got := h.Get("Access-Control-Allow-Methods") != ""; got != tc.allowsMethods {
				t.Fatalf("Access-Control-Allow-Methods %q", h.Get("Access-Control-Allow-Methods"))
			}
		})
	}
}
