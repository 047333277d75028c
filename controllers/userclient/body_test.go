package userclient

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

func TestBodyLimit(t *testing.T) {
	const max = 1000
	body := strings.Repeat("b", max)
	mux := http.NewServeMux()
	mux.HandleFunc("/exact", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, body) })
	mux.HandleFunc("/over", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, body+"X") })
	mux.HandleFunc("/chunked-over", func(w http.ResponseWriter, _ *http.Request) {
		for range 3 {
			_, _ = io.WriteString(w, body[:max/2+1])
			w.(http.Flusher).Flush()
		}
	})
	mux.HandleFunc("/declared-over", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(1<<40))
		_, _ = io.WriteString(w, body)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	hc := &http.Client{Transport: limitBodies(max)(http.DefaultTransport)}

	get := func(path string) ([]byte, error) {
		resp, err := hc.Get(srv.URL + path)
		if err != nil {
			return nil, err
		}
		defer func() { _ = resp.Body.Close() }()
		return io.ReadAll(resp.Body)
	}
	if got, err := get("/exact"); err != nil || string(got) != body {
		t.Fatalf("a body of exactly the limit: %d bytes, %v", len(got), err)
	}
	for _, path := range []string{"/over", "/chunked-over", "/declared-over"} {
		got, err := get(path)
		if !errors.Is(err, ErrBodyTooLarge) {
			t.Errorf("%s: %d bytes, err %v, want ErrBodyTooLarge", path, len(got), err)
			continue
		}
		if strings.Contains(err.Error(), "bbb") {
			t.Errorf("%s: the error quotes the body: %v", path, err)
		}
		if path == "/declared-over" && got != nil {
			t.Errorf("%s: read %d bytes of a body declared too large", path, len(got))
		}
	}
}

// The limited body keeps failing once over, and passes EOF and errors of
// the body below through.
func TestLimitedBodyRead(t *testing.T) {
	b := &limitedBody{body: io.NopCloser(bytes.NewReader([]byte("abcdef"))), left: 4, max: 4}
	got, err := io.ReadAll(b)
	if string(got) != "abcd" || !errors.Is(err, ErrBodyTooLarge) {
		t.Fatalf("read %q, %v", got, err)
	}
	if _, err := b.Read(make([]byte, 8)); !errors.Is(err, ErrBodyTooLarge) {
		t.Fatalf("second read after the limit: %v", err)
	}
	b = &limitedBody{body: io.NopCloser(bytes.NewReader([]byte("abcd"))), left: 4, max: 4}
	if got, err := io.ReadAll(b); string(got) != "abcd" || err != nil {
		t.Fatalf("read %q, %v", got, err)
	}
}
