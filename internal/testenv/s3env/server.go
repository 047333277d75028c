package s3env

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/clusterbackup/clusterbackup/internal/testenv"
)

// Region is the region versitygw answers for.
const Region = "us-east-1"

// Server is a running versitygw S3 server on 127.0.0.1 with a temporary data
// directory and its own root user.
type Server struct {
	// Endpoint is the S3 URL, http://127.0.0.1:PORT.
	Endpoint string
	// RootAccessKey and RootSecretKey are the root user's credentials.
	RootAccessKey, RootSecretKey string
	// DataDir is the posix backend's directory: DataDir/<bucket>/<key>.
	DataDir string

	bin      string
	adminURL string
	cmd      *exec.Cmd
	done     chan struct{}
}

// Start starts versitygw and stops it when the test ends.
func Start(t testenv.TB) *Server {
	t.Helper()
	s, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

// StartOn is Start listening on host instead of 127.0.0.1, e.g. on
// NodeIP so pods of a node harness reach it.
func StartOn(t testenv.TB, host string) *Server {
	t.Helper()
	s, err := NewOn(t.TempDir(), host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

// New starts versitygw on 127.0.0.1 with its state under dir; the caller
// stops it.
func New(dir string) (*Server, error) { return NewOn(dir, "127.0.0.1") }

// NewOn starts versitygw on host (its admin API stays on 127.0.0.1) with
// its state under dir; the caller stops it.
func NewOn(dir, host string) (*Server, error) {
	bin, err := testenv.Tool("versitygw")
	if err != nil {
		return nil, err
	}
	port, err := testenv.FreePortOn(host)
	if err != nil {
		return nil, err
	}
	aport, err := testenv.FreePort()
	if err != nil {
		return nil, err
	}
	s := &Server{
		Endpoint:      "http://" + net.JoinHostPort(host, strconv.Itoa(port)),
		RootAccessKey: "root" + randHex(6),
		RootSecretKey: randHex(20),
		bin:           bin,
		adminURL:      "http://127.0.0.1:" + strconv.Itoa(aport),
		DataDir:       filepath.Join(dir, "data"),
		done:          make(chan struct{}),
	}
	for _, d := range []string{"iam", "data"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			return nil, err
		}
	}
	s.cmd = exec.Command(bin, "--port", net.JoinHostPort(host, strconv.Itoa(port)), "--admin-port", "127.0.0.1:"+strconv.Itoa(aport),
		"--iam-dir", filepath.Join(dir, "iam"), "posix", filepath.Join(dir, "data"))
	s.cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY="+s.RootAccessKey, "ROOT_SECRET_KEY="+s.RootSecretKey)
	logf, err := os.Create(filepath.Join(dir, "versitygw.log"))
	if err != nil {
		return nil, err
	}
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start versitygw: %w", err)
	}
	go func() { _ = s.cmd.Wait(); _ = logf.Close(); close(s.done) }()
	if err := waitHTTP(s.Endpoint, s.done, 20*time.Second); err != nil {
		s.Stop()
		log, _ := os.ReadFile(filepath.Join(dir, "versitygw.log"))
		return nil, fmt.Errorf("versitygw did not become ready: %w\n%s", err, log)
	}
	return s, nil
}

// Stop terminates the server and waits for it.
func (s *Server) Stop() { testenv.StopProcess(s.cmd, s.done, 10*time.Second) }

// admin runs a versitygw admin command as root.
func (s *Server) admin(args ...string) error {
	base := []string{"admin", "-a", s.RootAccessKey, "-s", s.RootSecretKey, "--er", s.adminURL}
	_, err := testenv.Run(s.bin, append(base, args...)...)
	return err
}

// CreateUser creates a user with role "user". Create users before a bucket
// policy that names them.
func (s *Server) CreateUser(accessKey, secretKey string) error {
	return s.admin("create-user", "-a", accessKey, "-s", secretKey, "-r", "user")
}

// CreateBucket creates a bucket as root.
func (s *Server) CreateBucket(ctx context.Context, bucket string) error {
	_, err := s.Client(s.RootAccessKey, s.RootSecretKey).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)})
	return err
}

// Keys lists, as root, every object key in bucket under prefix ("" for the
// whole bucket), page by page, in the server's order.
func (s *Server) Keys(t testenv.TB, bucket, prefix string) []string {
	t.Helper()
	in := &s3.ListObjectsV2Input{Bucket: aws.String(bucket)}
	if prefix != "" {
		in.Prefix = aws.String(prefix)
	}
	var keys []string
	p := s3.NewListObjectsV2Paginator(s.Client(s.RootAccessKey, s.RootSecretKey), in)
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("s3env: list s3://%s/%s: %v", bucket, prefix, err)
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	return keys
}

// Client returns an S3 client with static credentials, path-style addressing,
// and nothing taken from the environment.
func (s *Server) Client(accessKey, secretKey string) *s3.Client {
	return s3.New(s3.Options{
		Region:       Region,
		BaseEndpoint: aws.String(s.Endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(accessKey, secretKey, ""),
		HTTPClient:   &http.Client{Timeout: 10 * time.Second},
	})
}

func waitHTTP(url string, done <-chan struct{}, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case <-done:
			return fmt.Errorf("process exited")
		default:
		}
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("no answer from %s within %s", url, timeout)
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
