// Package cors answers the CORS headers of aogo's HTTP servers (the node
// and the standalone gateway) from one list of allowed origins, so that a
// browser app (aoconnect in a page) may call them.
//
// # Usage
//
//	p, err := cors.New([]string{"https://app.example"}) // or nil: any origin
//	if err != nil {
//		return err
//	}
//	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
//		if p.Handle(w, r) {
//			return // a preflight, answered
//		}
//		mux.ServeHTTP(w, r)
//	})
package cors

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// Any is the origin that allows every origin (the default).
const Any = "*"

// Policy is a validated list of allowed origins. The zero Policy allows
// any origin. It is immutable and safe for concurrent use.
type Policy struct {
	// origins are the allowed origins, normalised (lower case, no
	// trailing slash); nil: any origin.
	origins []string
}

// New checks origins and returns their Policy. Each origin is "*" (any
// origin; then it must be the only one) or scheme://host[:port], without
// a path, as browsers send it in the Origin header. Nil or empty: any
// origin.
func New(origins []string) (Policy, error) {
	if len(origins) == 0 || len(origins) == 1 && origins[0] == Any {
		return Policy{}, nil
	}
	var p Policy
	for _, o := range origins {
		if o == Any {
			return Policy{}, fmt.Errorf("cors: %q must be the only origin (it allows every origin)", Any)
		}
		norm := strings.ToLower(strings.TrimRight(o, "/"))
		u, err := url.Parse(norm)
		if err != nil || u.Scheme == "" || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			return Policy{}, fmt.Errorf("cors: origin %q is not scheme://host[:port] (as in a browser's Origin header)", o)
		}
		if !slices.Contains(p.origins, norm) {
			p.origins = append(p.origins, norm)
		}
	}
	return p, nil
}

// AnyOrigin reports whether p allows every origin.
func (p Policy) AnyOrigin() bool { return p.origins == nil }

// Origins returns the allowed origins (["*"] for any).
func (p Policy) Origins() []string {
	if p.origins == nil {
		return []string{Any}
	}
	return slices.Clone(p.origins)
}

// Allowed reports whether a request from origin may read the answer.
func (p Policy) Allowed(origin string) bool {
	if p.origins == nil {
		return true
	}
	return origin != "" && slices.Contains(p.origins, strings.ToLower(origin))
}

// Handle sets the CORS headers of the answer to r and, for a preflight
// (OPTIONS), answers it (204) and returns true; the caller then writes
// nothing more. With any origin allowed, every answer carries
// Access-Control-Allow-Origin: *. Otherwise an allowed Origin is echoed,
// with Vary: Origin (on every answer, so that caches keep one answer per
// origin), and an Origin not allowed gets no CORS headers, so the browser
// withholds the answer. Calling Handle twice for one answer (a node's
// handler and its gateway's) sets the same headers.
func (p Policy) Handle(w http.ResponseWriter, r *http.Request) (preflight bool) {
	h := w.Header()
	origin := r.Header.Get("Origin")
	allowed := p.Allowed(origin)
	switch {
	case p.origins == nil:
		h.Set("Access-Control-Allow-Origin", Any)
	default:
		if !slices.Contains(h.Values("Vary"), "Origin") {
			h.Add("Vary", "Origin")
		}
		if allowed {
			h.Set("Access-Control-Allow-Origin", origin)
		}
	}
	if r.Method != http.MethodOptions {
		return false
	}
	if allowed {
		h.Set("Access-Control-Allow-Methods", "GET, HEAD, POST, OPTIONS")
		// NB: echoing the requested headers lets aoconnect's POSTs
		// (Content-Type application/octet-stream or application/json,
		// not CORS-safelisted) and an admin's Authorization through.
		if req := r.Header.Get("Access-Control-Request-Headers"); req != "" {
			h.Set("Access-Control-Allow-Headers", req)
		} else {
			h.Set("Access-Control-Allow-Headers", "Content-Type, Accept")
		}
		h.Set("Access-Control-Max-Age", "86400")
	}
	w.WriteHeader(http.StatusNoContent)
	return true
}
