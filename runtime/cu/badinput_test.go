package cu_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/runtime/cu"
)

// TestBadInput sends what the CU must refuse: each gets its 4xx status
// with a JSON {"error": "..."} body, and the process still evaluates
// afterwards.
func TestBadInput(t *testing.T) {
	w := newWorld(t, "minimal-fmt2.wasm", "wasm32-unknown-emscripten2")
	pid := w.spawn()
	mid := w.send(pid, "Inc", "")
	u := w.newCU(t.TempDir())
	base := serve(t, u)
	small := httptest.NewServer(u.Handler(cu.HandlerConfig{MaxDryRunBytes: 256}))
	t.Cleanup(small.Close)

	// Well-formed ids that name nothing.
	unknownPID := w.sign(pid, "never scheduled").ID()
	unknownMsg := w.sign(pid, "never scheduled either").ID()
	dry := `{"Owner":"1234","Tags":[{"name":"Action","value":"Inc"}]}`

	for _, c := range []struct {
		name, method, url, body string
		want                    int
	}{
		{"unknown process", "GET", base + "/result/" + unknownPID + "?process-id=" + unknownPID, "", 404},
		{"unknown process, malformed id", "GET", base + "/result/nope?process-id=nope", "", 404},
		{"message of an unknown process", "GET", base + "/result/" + mid + "?process-id=" + unknownPID, "", 404},
		{"unknown message", "GET", base + "/result/" + unknownMsg + "?process-id=" + pid, "", 404},
		{"message of another process", "GET", base + "/result/" + mid + "?process-id=" + w.spawn(), "", 404},
		{"result without process-id", "GET", base + "/result/" + mid, "", 400},
		{"dry-run without process-id", "POST", base + "/dry-run", dry, 400},
		{"dry-run of an unknown process", "POST", base + "/dry-run?process-id=" + unknownPID, dry, 404},
		{"dry-run, malformed body", "POST", base + "/dry-run?process-id=" + pid, `{"Owner":`, 400},
		{"dry-run, body not an object", "POST", base + "/dry-run?process-id=" + pid, `["Owner"]`, 400},
		{"dry-run, empty body", "POST", base + "/dry-run?process-id=" + pid, ``, 400},
		{"dry-run without Owner", "POST", base + "/dry-run?process-id=" + pid, `{"Tags":[{"name":"Action","value":"Inc"}]}`, 400},
		{"dry-run with an empty Owner", "POST", base + "/dry-run?process-id=" + pid, `{"Owner":""}`, 400},
		{"dry-run, Tags not a tag list", "POST", base + "/dry-run?process-id=" + pid, `{"Owner":"1234","Tags":{"Action":"Inc"}}`, 400},
		{"dry-run, fractional Timestamp", "POST", base + "/dry-run?process-id=" + pid, `{"Owner":"1234","Timestamp":1.5}`, 400},
		{"dry-run, body over the maximum", "POST", small.URL + "/dry-run?process-id=" + pid, `{"Owner":"1234","Data":"` + strings.Repeat("x", 300) + `"}`, 413},
		{"results, bad sort", "GET", base + "/results/" + pid + "?sort=SIDEWAYS", "", 400},
		{"results, bad limit", "GET", base + "/results/" + pid + "?limit=-1", "", 400},
		{"results, limit not a number", "GET", base + "/results/" + pid + "?limit=ten", "", 400},
		{"results, bad cursor", "GET", base + "/results/" + pid + "?from=!!not-a-cursor!!", "", 400},
		{"cron, bad limit", "GET", base + "/cron/" + pid + "?limit=0", "", 400},
		{"cron of an unknown process", "GET", base + "/cron/" + unknownPID, "", 404},
		{"state of an unknown process", "GET", base + "/state/" + unknownPID, "", 404},
		{"unknown route", "GET", base + "/nope", "", 404},
	} {
		var body []byte
		if c.method == "POST" {
			body = []byte(c.body)
		}
		code, h, b := confDo(t, c.method, c.url, body)
		confError(t, c.name, code, h, b, c.want)
	}

	// None of it hurt the process.
	if out := confOutput(t, confResult(t, base, pid, mid)); out != `"2"` {
		t.Errorf("after the bad requests: Output %s, want \"2\"", out)
	}
}

// TestBadModule: a process whose module needs more memory than the CU
// allows answers 413, one whose module format the CU does not run 422,
// on every route, as JSON {"error"}.
func TestBadModule(t *testing.T) {
	w := newWorld(t, "minimal-fmt2.wasm", "wasm32-unknown-emscripten2", arweave.Tag{Name: "Memory-Limit", Value: "2-gb"})
	tooBig := w.spawn()
	_, nonesuch := confPublish(w, moduleFile(t, "minimal-fmt2.wasm"), confModuleTags("wasm64-unknown-nonesuch", confLimits...))
	unsupported := confSpawn(w, nonesuch)
	notWasm, _ := confPublish(w, []byte("not wasm at all"), confModuleTags("wasm32-unknown-emscripten2", confLimits...))
	broken := confSpawn(w, notWasm.ID())
	base := serve(t, w.newCU(t.TempDir()))

	for _, c := range []struct {
		name, pid string
		want      int
	}{
		{"module over the memory maximum", tooBig, 413},
		{"unsupported module format", unsupported, 422},
		{"module that is not wasm", broken, 422},
	} {
		for _, r := range []struct{ method, path, body string }{
			{"GET", "/result/" + c.pid + "?process-id=" + c.pid, ""},
			{"POST", "/dry-run?process-id=" + c.pid, `{"Owner":"1234"}`},
			{"GET", "/state/" + c.pid, ""},
			{"GET", "/cron/" + c.pid, ""},
		} {
			var body []byte
			if r.method == "POST" {
				body = []byte(r.body)
			}
			code, h, b := confDo(t, r.method, base+r.path, body)
			confError(t, c.name+": "+r.method+" "+strings.SplitN(r.path, "?", 2)[0], code, h, b, c.want)
		}
	}
	if code, _, _ := confDo(t, http.MethodGet, base+"/", nil); code != http.StatusOK {
		t.Errorf("GET / after the refusals: %d", code)
	}
}
