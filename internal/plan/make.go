package plan

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"golang.org/x/sync/errgroup"

	"github.com/winbake/winbake/internal/awsclient"
	"github.com/winbake/winbake/internal/config"
	"github.com/winbake/winbake/internal/registry"
	"github.com/winbake/winbake/internal/windows"
)

// SSMAPI is the SSM operation plan calls.
type SSMAPI interface {
	GetParameter(ctx context.Context, in *ssm.GetParameterInput, opts ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
}

// EC2API is the EC2 operation plan calls.
type EC2API interface {
	DescribeImages(ctx context.Context, in *ec2.DescribeImagesInput, opts ...func(*ec2.Options)) (*ec2.DescribeImagesOutput, error)
}

// Resolver pins image references; *registry.Resolver is one.
type Resolver interface {
	Resolve(ctx context.Context, ref string, v windows.Variant) (registry.Image, error)
}

// Planner makes plans.
type Planner struct {
	SSM      func(region string) SSMAPI
	EC2      func(region string) EC2API
	Resolver Resolver
	// Concurrency bounds the registry lookups in flight (default 8).
	Concurrency int
}

// BaseImagesOf lists the Windows base images an image's AMI holds already:
// the configured ones, else Microsoft's servercore and nanoserver of its build.
func BaseImagesOf(img config.Image) []string {
	if len(img.BaseImages) > 0 {
		return img.BaseImages
	}
	v, _ := windows.Lookup(img.Windows)
	return []string{
		"mcr.microsoft.com/windows/servercore:" + v.LTSC,
		"mcr.microsoft.com/windows/nanoserver:" + v.NanoServerTag,
	}
}

// Problems is every problem of a plan, one line each.
type Problems []string

func (p Problems) Error() string { return strings.Join(p, "\n") }

type lookupKey struct{ ref, build string }

type lookup struct {
	img registry.Image
	err error
}

// Make plans every image of cfg. It looks at all of them before failing;
// the error is then a Problems with one line per image reference or AMI.
func (pl *Planner) Make(ctx context.Context, cfg *config.Config) (*Plan, error) {
	// Every distinct (reference, build) is resolved once, concurrently.
	lookups := map[lookupKey]*lookup{}
	variants := map[string]windows.Variant{}
	for _, img := range cfg.Images {
		v, _ := windows.Lookup(img.Windows)
		variants[img.Name] = v
		for _, ref := range append(append([]string{}, img.Cache...), BaseImagesOf(img)...) {
			lookups[lookupKey{ref, v.Build}] = &lookup{}
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	limit := pl.Concurrency
	if limit <= 0 {
		limit = 8
	}
	g.SetLimit(limit)
	for key, l := range lookups {
		g.Go(func() error {
			v := variantOfBuild(key.build)
			l.img, l.err = pl.Resolver.Resolve(gctx, key.ref, v)
			return nil
		})
	}
	var amiMu sync.Mutex
	amis := map[string]BaseAMI{} // image/region
	var problems Problems
	for _, img := range cfg.Images {
		for _, region := range img.Regions {
			g.Go(func() error {
				b, err := pl.baseAMI(gctx, img, region)
				amiMu.Lock()
				defer amiMu.Unlock()
				if err != nil {
					problems = append(problems, fmt.Sprintf("%s: base AMI in %s: %v", img.Name, region, err))
				}
				amis[img.Name+"/"+region] = b
				return nil
			})
		}
	}
	_ = g.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	p := &Plan{Version: FormatVersion}
	for _, img := range cfg.Images {
		v := variants[img.Name]
		ip := Image{
			Name: img.Name, Kubernetes: img.Kubernetes, Windows: img.Windows, Build: v.Build,
			Updates: img.UpdatesEnabled(), SSMParameter: v.SSMParameter(img.Kubernetes),
		}
		for _, region := range img.Regions {
			ip.BaseAMIs = append(ip.BaseAMIs, amis[img.Name+"/"+region])
		}
		base := map[string]bool{}
		for _, ref := range BaseImagesOf(img) {
			l := lookups[lookupKey{ref, v.Build}]
			if l.err != nil {
				// Not fatal: the bake does not need it, but every figure
				// counts its layers as pulled.
				ip.Warnings = append(ip.Warnings, fmt.Sprintf("base image %s could not be read (%v): its layers are counted as pulled, so the savings shown are too low; set baseImages to a readable copy", ref, l.err))
				continue
			}
			if l.img.OSVersion == "" {
				ip.Warnings = append(ip.Warnings, fmt.Sprintf("base image %s declares no Windows build (os.version), so it cannot be matched to the AMI's %s: its layers are counted as pulled", ref, v.Build))
				continue
			}
			if b := windows.BuildOf(l.img.OSVersion); b != v.Build {
				// The AMI holds the base images of its own build only.
				ip.Warnings = append(ip.Warnings, fmt.Sprintf("base image %s has no variant for build %s (only for %s): its layers are counted as pulled", ref, v.Build, describeBuild(b)))
				continue
			}
			ip.BaseImages = append(ip.BaseImages, ref)
			for _, layer := range l.img.Layers {
				base[layer.Digest] = true
			}
		}
		for _, ref := range img.Cache {
			l := lookups[lookupKey{ref, v.Build}]
			if l.err != nil {
				problems = append(problems, fmt.Sprintf("%s: %s: %v", img.Name, ref, l.err))
				continue
			}
			c := CacheImage{Image: l.img}
			if l.img.OSVersion == "" {
				// containerd pulls it onto any Windows node; it runs only
				// where its base image's build fits.
				c.Note = fmt.Sprintf("declares no Windows build (os.version): containerd takes it on any node, but it runs only if built for %s", runnableBuilds(v))
			} else if b := windows.BuildOf(l.img.OSVersion); b != v.Build {
				c.Note = fmt.Sprintf("no variant for build %s: the newest one a %s node runs is for %s", v.Build, v.Release, describeBuild(b))
			}
			ip.Cache = append(ip.Cache, c)
		}
		ip.Totals = measure(ip.Cache, base)
		p.Images = append(p.Images, ip)
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return p, problems
	}
	return p, nil
}

// describeBuild names a build with its LTSC tag where it has one.
func describeBuild(build string) string {
	if v := variantOfBuild(build); v.LTSC != "" {
		return build + " (" + v.LTSC + ")"
	}
	return build
}

// runnableBuilds names the builds a node of v runs.
func runnableBuilds(v windows.Variant) string {
	if old := v.OldestRunnable(); old != v.Build {
		return "a build from " + describeBuild(old) + " to " + describeBuild(v.Build)
	}
	return describeBuild(v.Build)
}

func variantOfBuild(build string) windows.Variant {
	for _, n := range windows.Names() {
		if v, _ := windows.Lookup(n); v.Build == build {
			return v
		}
	}
	return windows.Variant{Build: build}
}

// measure fills each image's shares and sums the cache, counting each
// layer once.
func measure(cache []CacheImage, base map[string]bool) Totals {
	owners := map[string][]int{}
	for i, c := range cache {
		for _, l := range c.Layers {
			if !slices.Contains(owners[l.Digest], i) {
				owners[l.Digest] = append(owners[l.Digest], i)
			}
		}
	}
	var t Totals
	counted := map[string]bool{}
	for i := range cache {
		c := &cache[i]
		c.Size, c.BaseBytes, c.SharedBytes, c.PullBytes = 0, 0, 0, 0
		shared := map[string]bool{}
		for _, l := range c.Layers {
			c.Size += l.Size
			switch {
			case base[l.Digest]:
				c.BaseBytes += l.Size
			case len(owners[l.Digest]) > 1:
				c.SharedBytes += l.Size
				for _, o := range owners[l.Digest] {
					if o != i {
						shared[cache[o].Ref] = true
					}
				}
			}
			if !counted[l.Digest] {
				counted[l.Digest] = true
				if base[l.Digest] {
					t.Base += l.Size
				} else {
					t.Pull += l.Size
					c.PullBytes += l.Size
				}
			}
		}
		c.SharedWith = nil
		for ref := range shared {
			c.SharedWith = append(c.SharedWith, ref)
		}
		sort.Strings(c.SharedWith)
		t.Compressed += c.Size
	}
	return t
}

func (pl *Planner) baseAMI(ctx context.Context, img config.Image, region string) (BaseAMI, error) {
	v, _ := windows.Lookup(img.Windows)
	param := v.SSMParameter(img.Kubernetes)
	out, err := pl.SSM(region).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(param)})
	var notFound *ssmtypes.ParameterNotFound
	if errors.As(err, &notFound) {
		return BaseAMI{Region: region}, fmt.Errorf("SSM parameter %s does not exist in %s: AWS publishes no EKS-optimized Windows %s AMI for Kubernetes %s there (check the version is still supported by EKS)", param, region, img.Windows, img.Kubernetes)
	}
	if err != nil {
		return BaseAMI{Region: region}, fmt.Errorf("reading SSM parameter %s: %w", param, awsclient.Explain(err))
	}
	b := BaseAMI{Region: region, AMI: aws.ToString(out.Parameter.Value)}
	desc, err := pl.EC2(region).DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{b.AMI}})
	if err != nil {
		return b, fmt.Errorf("describing %s (from %s): %w", b.AMI, param, awsclient.Explain(err))
	}
	if len(desc.Images) == 0 {
		return b, fmt.Errorf("%s (from %s) is not visible in %s", b.AMI, param, region)
	}
	b.Name = aws.ToString(desc.Images[0].Name)
	if t, err := time.Parse(time.RFC3339, aws.ToString(desc.Images[0].CreationDate)); err == nil {
		b.Created = t.UTC().Format(time.RFC3339)
	}
	return b, nil
}
