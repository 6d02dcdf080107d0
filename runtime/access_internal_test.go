package runtime

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestAdminOnly(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) })
	const token = "0123456789abcdef0123456789abcdef"
	for _, tc := range []struct {
		name     string
		token    string // the node's
		remote   string
		header   map[string]string
		expected int
	}{
		{name: "loopback", remote: "127.0.0.1:5555", expected: http.StatusTeapot},
		{name: "loopback v6", remote: "[::1]:5555", expected: http.StatusTeapot},
		{name: "loopback v4 in v6", remote: "[::ffff:127.0.0.1]:5555", expected: http.StatusTeapot},
		{name: "loopback 127/8", remote: "127.0.0.2:5555", expected: http.StatusTeapot},
		{name: "loopback through a proxy", remote: "127.0.0.1:5555", header: map[string]string{"X-Forwarded-For": "203.0.113.9"}, expected: http.StatusForbidden},
		{name: "loopback through a proxy (Forwarded)", remote: "127.0.0.1:5555", header: map[string]string{"Forwarded": "for=203.0.113.9"}, expected: http.StatusForbidden},
		{name: "loopback through a proxy (X-Real-IP)", remote: "127.0.0.1:5555", header: map[string]string{"X-Real-IP": "203.0.113.9"}, expected: http.StatusForbidden},
		{name: "remote", remote: "203.0.113.9:5555", expected: http.StatusForbidden},
		{name: "remote, no token configured", remote: "203.0.113.9:5555", header: map[string]string{"Authorization": "Bearer "}, expected: http.StatusForbidden},
		{name: "remote with the token", token: token, remote: "203.0.113.9:5555", header: map[string]string{"Authorization": "Bearer " + token}, expected: http.StatusTeapot},
		{name: "remote with the token, lower-case scheme", token: token, remote: "203.0.113.9:5555", header: map[string]string{"Authorization": "bearer " + token}, expected: http.StatusTeapot},
		{name: "proxied with the token", token: token, remote: "127.0.0.1:5555", header: map[string]string{"Authorization": "Bearer " + token, "X-Forwarded-For": "203.0.113.9"}, expected: http.StatusTeapot},
		{name: "remote with a wrong token", token: token, remote: "203.0.113.9:5555", header: map[string]string{"Authorization": "Bearer " + token[1:]}, expected: http.StatusForbidden},
		{name: "remote with basic auth", token: token, remote: "203.0.113.9:5555", header: map[string]string{"Authorization": "Basic " + token}, expected: http.StatusForbidden},
		{name: "remote with the empty token", token: token, remote: "203.0.113.9:5555", header: map[string]string{"Authorization": "Bearer"}, expected: http.StatusForbidden},
		{name: "unparsable remote", remote: "pipe", expected: http.StatusForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/dead-letters", nil)
			r.RemoteAddr = tc.remote
			for k, v := range tc.header {
				r.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			adminOnly(tc.token, ok).ServeHTTP(w, r)
			if w.Code != tc.expected {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.expected, w.Body)
			}
			if w.Code == http.StatusForbidden {
				var body struct{ Error string }
				if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.Error == "" {
					t.Fatalf("403 body %q: %v", w.Body, err)
				}
			}
		})
	}
}

func TestUnitOf(t *testing.T) {
	all := &Node{cfg: Config{Units: Units()}}
	noGateway := &Node{cfg: Config{Units: []string{UnitSU}}}
	for _, tc := range []struct {
		n        *Node
		path     string
		expected string
	}{
		{all, "/su", UnitSU},
		{all, "/su/", UnitSU},
		{all, "/su/timestamp", UnitSU},
		{all, "/sux", UnitGateway},
		{all, "/cu/result/x", UnitCU},
		{all, "/mu/admin/crank", UnitMU},
		{all, "/node", unitNode},
		{all, "/metrics", unitNode},
		{all, "/", UnitGateway},
		{all, "/graphql", UnitGateway},
		{noGateway, "/graphql", unitNode},
		{noGateway, "/su", UnitSU},
	} {
		if got := tc.n.unitOf(tc.path); got != tc.expected {
			t.Errorf("unitOf(%q) with %v = %q, want %q", tc.path, tc.n.cfg.Units, got, tc.expected)
		}
	}
}
