package runtime

import (
	"crypto/sha256"
	"crypto/subtle"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/aogo-dev/aogo/internal/httpjson"
)

// forwardingHeaders are set by reverse proxies: a request carrying one
// came from elsewhere, whatever its connection's address.
var forwardingHeaders = []string{"X-Forwarded-For", "Forwarded", "X-Real-Ip"}

// adminOnly guards the node's admin endpoints: it lets a request through
// when it comes from the node's own machine (a loopback address, with no
// forwarding header: a reverse proxy on the same machine connects from
// loopback on a remote client's behalf) or when it carries
// "Authorization: Bearer <Config.AdminToken>". Anything else is answered
// 403 {"error": ...}.
func (n *Node) adminOnly(h http.Handler) http.Handler {
	return adminOnly(n.cfg.AdminToken, h)
}

func adminOnly(token string, h http.Handler) http.Handler {
	var want [sha256.Size]byte
	if token != "" {
		want = sha256.Sum256([]byte(token))
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if fromLoopback(r) || token != "" && bearerMatches(r, want) {
			h.ServeHTTP(w, r)
			return
		}
		msg := "admin endpoint: only from the node's machine (loopback, not through a proxy)"
		if token != "" {
			msg += " or with the admin token (Authorization: Bearer <token>)"
		}
		httpjson.Error(w, http.StatusForbidden, msg)
	})
}

// fromLoopback reports whether r came straight from a loopback address.
func fromLoopback(r *http.Request) bool {
	for _, name := range forwardingHeaders {
		if _, ok := r.Header[name]; ok {
			return false
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// bearerMatches compares r's bearer token with the digest want in
// constant time (digests, so that not even the token's length leaks).
func bearerMatches(r *http.Request, want [sha256.Size]byte) bool {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(tok)))
	return subtle.ConstantTimeCompare(got[:], want[:]) == 1
}
