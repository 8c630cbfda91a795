package imagebuilder_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/winbake/winbake/internal/policy"
	"github.com/winbake/winbake/internal/testing/awsfake"
)

// allActions are the actions of the policy "winbake policy" prints for the
// env's config.
func allActions(t testing.TB, e *env) []string {
	t.Helper()
	doc, err := policy.For(e.cfg, policy.Inputs{Account: awsfake.Account})
	if err != nil {
		t.Fatal(err)
	}
	if problems := policy.Check(doc); len(problems) > 0 {
		t.Fatalf("the generated policy fails its check:\n%s", strings.Join(problems, "\n"))
	}
	return doc.Actions()
}

// scenario bakes, re-bakes the same input, bakes a new cache list, and
// bakes on another instance type: every Image Builder call a bake makes.
func scenario(t testing.TB, e *env) error {
	ip := e.planFor(digestA)
	if _, err := e.bake(t, ip); err != nil {
		return fmt.Errorf("first bake: %w", err)
	}
	if _, err := e.bake(t, ip); err != nil {
		return fmt.Errorf("same input again: %w", err)
	}
	ip.Cache[0].Digest = digestB
	if _, err := e.bake(t, ip); err != nil {
		return fmt.Errorf("new cache list: %w", err)
	}
	e.cfg.ImageBuilder.InstanceTypes = []string{"m6i.2xlarge"}
	if _, err := e.bake(t, ip); err != nil {
		return fmt.Errorf("changed infrastructure: %w", err)
	}
	return nil
}

// TestBakeUnderTheGeneratedPolicy runs the scenario with the caller
// allowed exactly the actions of the generated policy; the fake refuses
// anything else, including what Image Builder authorizes beside the
// operation called. And no Image Builder action in it is padding: without
// any one of them the scenario fails.
func TestBakeUnderTheGeneratedPolicy(t *testing.T) {
	e := newEnv(t, cfgYAML)
	actions := allActions(t, e)
	e.aws.AllowOnly(actions)
	if err := scenario(t, e); err != nil {
		t.Fatalf("%v\n%s", err, e.log)
	}
	for _, a := range actions {
		if !strings.HasPrefix(a, "imagebuilder:") {
			continue
		}
		e := newEnv(t, cfgYAML)
		e.aws.AllowOnly(slices.DeleteFunc(slices.Clone(actions), func(x string) bool { return x == a }))
		if err := scenario(t, e); err == nil {
			t.Errorf("%s is in the policy, but the scenario succeeded without it", a)
		}
	}
}
