package plan_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/winbake/winbake/internal/config"
	"github.com/winbake/winbake/internal/testing/awsfake"
	"github.com/winbake/winbake/internal/testing/registrytest"
)

// counting counts requests and response bytes; the /v2/ ping is counted
// apart, as authentication.
type counting struct {
	requests, pings, bytes atomic.Int64
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}

func (c *counting) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Path == "/v2/" {
		c.pings.Add(1)
	} else {
		c.requests.Add(1)
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err == nil {
		resp.Body = countingBody{resp.Body, &c.bytes}
	}
	return resp, err
}

// BenchmarkPlan50 plans 50 Windows images that share a base layer against
// the real registry, concurrently and, as the baseline, one at a time. It
// reports requests and bytes per image beside the images' compressed size.
func BenchmarkPlan50(b *testing.B) {
	reg := registrytest.Start(b, false)
	aws := awsfake.Start(b)
	aws.AddEKSAMI("us-east-1", "2022-core", "1.31")
	base := registrytest.RandomLayer(b, 64<<20)
	runtime := registrytest.RandomLayer(b, 8<<20)
	reg.Push(b, "windows/servercore:ltsc2022", registrytest.Index(b, registrytest.Image(b, "windows", "amd64", "10.0.20348.2762", base)))
	reg.Push(b, "windows/nanoserver:ltsc2022", registrytest.Index(b, registrytest.Image(b, "windows", "amd64", "10.0.20348.2762", registrytest.RandomLayer(b, 1<<20))))
	yaml := "images:\n  - name: win\n    kubernetes: \"1.31\"\n    windows: 2022-core\n    regions: [us-east-1]\n" +
		"    baseImages: [" + reg.Host + "/windows/servercore:ltsc2022, " + reg.Host + "/windows/nanoserver:ltsc2022]\n    cache:\n"
	var imageBytes int64
	for i := range 50 {
		own := registrytest.RandomLayer(b, 256<<10)
		layers := []v1.Layer{base, runtime, own}
		idx := registrytest.Index(b,
			registrytest.Image(b, "windows", "amd64", "10.0.17763.6414", registrytest.RandomLayer(b, 1<<10)),
			registrytest.Image(b, "windows", "amd64", "10.0.20348.2762", layers...))
		ref := reg.Push(b, fmt.Sprintf("apps/service-%02d:1.0", i), idx)
		yaml += "      - " + ref + "\n"
		for _, l := range layers {
			n, _ := l.Size()
			imageBytes += n
		}
	}
	cfg, err := config.Parse("bench.yaml", []byte(yaml))
	if err != nil {
		b.Fatal(err)
	}
	w := &world{reg: reg, aws: aws}
	for _, mode := range []struct {
		name        string
		concurrency int
	}{{"concurrent", 8}, {"sequential-baseline", 1}} {
		b.Run(mode.name, func(b *testing.B) {
			var c *counting
			var wall time.Duration
			for b.Loop() {
				c = &counting{}
				pl := w.planner(b, c)
				pl.Concurrency = mode.concurrency
				start := time.Now()
				p, err := pl.Make(context.Background(), cfg)
				wall = time.Since(start)
				if err != nil {
					b.Fatal(err)
				}
				if len(p.Images[0].Cache) != 50 {
					b.Fatalf("%d images planned", len(p.Images[0].Cache))
				}
			}
			// 52 images resolved: the 50 and the two base images.
			const resolved = 52
			b.ReportMetric(float64(c.requests.Load())/resolved, "req/image")
			b.ReportMetric(float64(c.pings.Load())/resolved, "auth-req/image")
			b.ReportMetric(float64(c.bytes.Load())/resolved, "bytes/image")
			b.ReportMetric(float64(imageBytes)/50, "image-compressed-bytes")
			b.ReportMetric(float64(wall.Milliseconds()), "wall-ms")
		})
	}
}
