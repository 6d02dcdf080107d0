package arlocaltest

import (
	"errors"
	"io"
	"net/http"
	"os"
	"syscall"
	"testing"
)

// Start runs arlocal in its own process group and working directory;
// the cleanup of the test that started it ends the group and removes the
// directory.
func TestStartResetStop(t *testing.T) {
	var (
		pid int
		dir string
	)
	t.Run("run", func(t *testing.T) {
		a := Start(t)
		pid, dir = a.cmd.Process.Pid, a.dir
		if pgid, err := syscall.Getpgid(pid); err != nil || pgid != pid {
			t.Errorf("arlocal's process group is %d (%v), want its own (%d)", pgid, err, pid)
		}
		for _, path := range []string{"/info", "/mine", "/reset"} {
			resp, err := http.Get(a.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("GET %s: %s", path, resp.Status)
			}
		}
		a.Reset()
		if _, err := os.Stat(dir + "/db"); err != nil {
			t.Errorf("arlocal's database is not in its working directory: %v", err)
		}
	})
	if pid == 0 {
		t.Fatal("arlocal did not start")
	}
	if err := syscall.Kill(-pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("arlocal's process group %d is still there after the cleanup (kill: %v)", pid, err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("working directory %s is still there after the cleanup (%v)", dir, err)
	}
}
