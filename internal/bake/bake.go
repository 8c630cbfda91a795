// Package bake is winbake's bake stage: it checks what can be checked
// before anything is created, bakes every image of a plan in parallel with
// the config's builder (Image Builder or Packer, in the packages beneath),
// and writes bake.json, which bump reads.
package bake

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/winbake/winbake/internal/awsclient"
	"github.com/winbake/winbake/internal/bake/imagebuilder"
	"github.com/winbake/winbake/internal/bake/packer"
	"github.com/winbake/winbake/internal/config"
	"github.com/winbake/winbake/internal/plan"
)

// Options wire a bake to the outside.
type Options struct {
	// AWS gives the Image Builder, EC2, IAM and STS clients.
	AWS *awsclient.Clients
	// Clock passes the time while a build runs.
	Clock imagebuilder.Clock
	// Log receives progress lines; parallel bakes share it.
	Log io.Writer
}

type builder interface {
	Bake(context.Context, *config.Config, config.Image, plan.Image) (Image, error)
}

// Run bakes every image in parallel with the config's builder and writes
// outFile with every image that baked, even when another failed.
func Run(ctx context.Context, cfg *config.Config, p *plan.Plan, outFile string, o Options) (*File, error) {
	log := &syncWriter{w: o.Log}
	b, err := newBuilder(ctx, cfg, o, log)
	if err != nil {
		return nil, err
	}
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		out  File
		errs []error
	)
	for _, img := range cfg.Images {
		ip, _ := p.Find(img.Name)
		wg.Add(1)
		go func() {
			defer wg.Done()
			baked, err := b.Bake(ctx, cfg, img, ip)
			if err == nil && cfg.Builder == config.BuilderPacker && o.AWS != nil {
				baked.Finished = amiCreated(ctx, func(r string) DescribeImagesAPI { return o.AWS.EC2(r) }, img, baked)
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			out.Put(baked)
			for _, a := range baked.AMIs {
				fmt.Fprintf(log, "%s: %s %s\n", img.Name, a.Region, a.AMI)
			}
		}()
	}
	wg.Wait()
	if len(out.Images) > 0 {
		if err := out.Write(outFile); err != nil {
			return nil, err
		}
	}
	return &out, errors.Join(errs...)
}

// newBuilder chooses the config's builder. For Image Builder, everything
// that can be checked is checked before anything is created.
func newBuilder(ctx context.Context, cfg *config.Config, o Options, log io.Writer) (builder, error) {
	if cfg.Builder == config.BuilderPacker {
		return &packer.Runner{Log: log}, nil
	}
	ib := &imagebuilder.Baker{
		ImageBuilder: func(r string) imagebuilder.API { return o.AWS.ImageBuilder(r) },
		EC2:          func(r string) imagebuilder.EC2API { return o.AWS.EC2(r) },
		IAM:          o.AWS.IAM(cfg.Images[0].BuildRegion()),
		STS:          o.AWS.STS(cfg.Images[0].BuildRegion()),
		Clock:        o.Clock,
		Log:          log,
	}
	for _, img := range cfg.Images {
		if err := ib.Preflight(ctx, cfg, img); err != nil {
			return nil, err
		}
	}
	return ib, nil
}

// CheckBuilder checks a builder named on the command line or in an input.
func CheckBuilder(name string) error {
	if name != config.BuilderImageBuilder && name != config.BuilderPacker {
		return fmt.Errorf("%q: expected imagebuilder or packer", name)
	}
	return nil
}

// syncWriter lets parallel bakes share one log.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
