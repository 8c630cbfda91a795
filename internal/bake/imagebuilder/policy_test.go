package imagebuilder_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/winbake/winbake/internal/policy"
	"github.com/winbake/winbake/internal/testing/awsfake"
	"github.com/winbake/winbake/internal/testing/policycheck"
)

// generated is the policy "winbake policy" prints for the env's config.
func generated(t testing.TB, e *env) policy.Document {
	t.Helper()
	doc, err := policy.For(e.cfg, policy.Inputs{Account: awsfake.Account})
	if err != nil {
		t.Fatal(err)
	}
	if problems := policycheck.Check(doc); len(problems) > 0 {
		t.Fatalf("the generated policy fails its check:\n%s", strings.Join(problems, "\n"))
	}
	return doc
}

// allActions are the actions of the generated policy.
func allActions(t testing.TB, e *env) []string { return generated(t, e).Actions() }

// allowGenerated makes the fake enforce the generated policy, resources and
// conditions included, without the actions in drop.
func allowGenerated(t testing.TB, e *env, drop ...string) {
	t.Helper()
	doc := generated(t, e)
	for i := range doc.Statement {
		doc.Statement[i].Action = slices.DeleteFunc(doc.Statement[i].Action, func(a string) bool { return slices.Contains(drop, a) })
	}
	b, err := policy.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.aws.AllowPolicy(b); err != nil {
		t.Fatal(err)
	}
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

// TestBakeUnderTheGeneratedPolicy runs the scenario under the generated
// policy, enforced by the fake on each action's resource and conditions;
// it refuses anything else, including what Image Builder authorizes beside
// the operation called. And no Image Builder action in it is padding:
// without any one of them the scenario fails.
func TestBakeUnderTheGeneratedPolicy(t *testing.T) {
	e := newEnv(t, cfgYAML)
	allowGenerated(t, e)
	if err := scenario(t, e); err != nil {
		t.Fatalf("%v\n%s", err, e.log)
	}
	for _, a := range allActions(t, e) {
		if !strings.HasPrefix(a, "imagebuilder:") {
			continue
		}
		e := newEnv(t, cfgYAML)
		allowGenerated(t, e, a)
		if err := scenario(t, e); err == nil {
			t.Errorf("%s is in the policy, but the scenario succeeded without it", a)
		}
	}
}

// TestPolicyScopeIsEnforced: the same policy for another account, or with
// another image's tag, refuses the bake: the resources and conditions the
// scenario passes are not there by accident.
func TestPolicyScopeIsEnforced(t *testing.T) {
	for name, change := range map[string]func(*policy.Document){
		"another account": func(d *policy.Document) {
			for i, st := range d.Statement {
				for j, r := range st.Resource {
					d.Statement[i].Resource[j] = strings.ReplaceAll(r, awsfake.Account, "210987654321")
				}
			}
		},
		"another image's tag": func(d *policy.Document) {
			for _, st := range d.Statement {
				if c, ok := st.Condition["StringEquals"]; ok && c["aws:RequestTag/winbake:image"] != nil {
					c["aws:RequestTag/winbake:image"] = []string{"other"}
				}
			}
		},
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, cfgYAML)
			doc := generated(t, e)
			change(&doc)
			b, _ := policy.Marshal(doc)
			if err := e.aws.AllowPolicy(b); err != nil {
				t.Fatal(err)
			}
			if _, err := e.bake(t, e.planFor(digestA)); err == nil || !strings.Contains(err.Error(), "AWS denied") {
				t.Errorf("err = %v", err)
			}
		})
	}
}

// TestFirstUseOfImageBuilder: in an account that never used Image Builder,
// the first create makes its service-linked role, which the generated
// policy allows; without that statement the bake is refused, naming it.
func TestFirstUseOfImageBuilder(t *testing.T) {
	e := newEnv(t, cfgYAML)
	e.aws.SetNewAccount()
	allowGenerated(t, e)
	if _, err := e.bake(t, e.planFor(digestA)); err != nil {
		t.Fatalf("first bake in a new account: %v", err)
	}
	e = newEnv(t, cfgYAML)
	e.aws.SetNewAccount()
	allowGenerated(t, e, "iam:CreateServiceLinkedRole")
	if _, err := e.bake(t, e.planFor(digestA)); err == nil || !strings.Contains(err.Error(), "AWS denied iam:CreateServiceLinkedRole on arn:aws:iam::123456789012:role/aws-service-role/imagebuilder.amazonaws.com/AWSServiceRoleForImageBuilder") {
		t.Errorf("err = %v", err)
	}
}

// TestUpdatesHeldToTheImageTag: a configuration is updated only when it
// carries the winbake:image tag of a configured image (aws:ResourceTag), so
// the policy cannot rewrite a winbake-* configuration made for something
// else.
func TestUpdatesHeldToTheImageTag(t *testing.T) {
	e := newEnv(t, cfgYAML)
	allowGenerated(t, e)
	ip := e.planFor(digestA)
	if _, err := e.bake(t, ip); err != nil {
		t.Fatal(err)
	}
	doc := generated(t, e)
	for _, st := range doc.Statement {
		if c, ok := st.Condition["StringEquals"]; ok && c["aws:ResourceTag/winbake:image"] != nil && slices.Contains(st.Action, "imagebuilder:UpdateInfrastructureConfiguration") {
			c["aws:ResourceTag/winbake:image"] = []string{"other"}
		}
	}
	b, _ := policy.Marshal(doc)
	if err := e.aws.AllowPolicy(b); err != nil {
		t.Fatal(err)
	}
	e.cfg.ImageBuilder.InstanceTypes = []string{"m6i.2xlarge"}
	if _, err := e.bake(t, ip); err == nil || !strings.Contains(err.Error(), "AWS denied imagebuilder:UpdateInfrastructureConfiguration") {
		t.Errorf("updating a configuration tagged for another image: err = %v", err)
	}
}
