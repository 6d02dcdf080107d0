package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestNodeRejectsCORSOrigins: a bad --cors-origins stops the node before
// it starts.
func TestNodeRejectsCORSOrigins(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "node")
	_, err := run(t, "node", "--data-dir", dir, "--listen", "127.0.0.1:0", "--cors-origins", "https://app.example,app.example")
	if err == nil || !strings.Contains(err.Error(), "app.example") {
		t.Fatalf("err = %v", err)
	}
}
