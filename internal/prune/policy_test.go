package prune

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/winbake/winbake/internal/policy"
	"github.com/winbake/winbake/internal/testing/awsfake"
)

// TestApplyUnderTheGeneratedPolicy prunes allowed exactly what `winbake
// policy` prints for the config, resources and tag conditions included, and
// shows that each changing action prune needs is in it: without it, nothing
// is removed.
func TestApplyUnderTheGeneratedPolicy(t *testing.T) {
	allow := func(w *world, drop string) {
		t.Helper()
		doc, err := policy.For(w.cfg, policy.Inputs{Account: awsfake.Account})
		if err != nil {
			t.Fatal(err)
		}
		for i := range doc.Statement {
			doc.Statement[i].Action = slices.DeleteFunc(doc.Statement[i].Action, func(a string) bool { return a == drop })
		}
		b, err := policy.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.aws.AllowPolicy(b); err != nil {
			t.Fatal(err)
		}
	}

	w := newWorld(t)
	allow(w, "")
	res, err := Run(context.Background(), w.options(t, true))
	if err != nil {
		t.Fatalf("prune --apply under the generated policy: %v", err)
	}
	if len(res.RemovedAMIs()) != len(removedByApply) {
		t.Errorf("removed %d AMIs, want %d", len(res.RemovedAMIs()), len(removedByApply))
	}

	for _, action := range []string{"ec2:DeregisterImage", "ec2:DeleteSnapshot", "ec2:CreateTags", "ec2:DisableFastLaunch"} {
		t.Run(action, func(t *testing.T) {
			w := newWorld(t)
			allow(w, action)
			res, err := Run(context.Background(), w.options(t, true))
			if err == nil || !strings.Contains(err.Error(), action) {
				t.Fatalf("without %s: err = %v, want one naming it", action, err)
			}
			if res != nil && len(res.RemovedAMIs()) > 0 {
				t.Errorf("without %s, %d AMIs were removed", action, len(res.RemovedAMIs()))
			}
		})
	}
}
