package imagebuilder_test

import (
	"context"
	"testing"
	"time"
)

// TestRerunRecordsTheBuildsOwnTime: a rerun that finds the finished build
// records the time Image Builder gives the build, not the time it looked,
// so the pull request it feeds does not change.
func TestRerunRecordsTheBuildsOwnTime(t *testing.T) {
	e := newEnv(t, cfgYAML)
	ip := e.planFor(digestA)
	img := e.cfg.Images[0]
	if err := e.baker.Preflight(context.Background(), e.cfg, img); err != nil {
		t.Fatal(err)
	}
	first, err := e.baker.Bake(context.Background(), e.cfg, img, ip)
	if err != nil {
		t.Fatalf("%v\n%s", err, e.log)
	}
	e.aws.Clock.Advance(26 * time.Hour)
	again, err := e.baker.Bake(context.Background(), e.cfg, img, ip)
	if err != nil {
		t.Fatal(err)
	}
	if first.Finished == "" || again.Finished != first.Finished {
		t.Errorf("finished %q, then %q on a rerun", first.Finished, again.Finished)
	}
}
