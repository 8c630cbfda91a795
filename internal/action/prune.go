package action

import (
	"context"
	"fmt"
	"strings"

	"github.com/winbake/winbake/internal/config"
	"github.com/winbake/winbake/internal/pipeline"
	"github.com/winbake/winbake/internal/prune"
	"github.com/winbake/winbake/internal/report"
)

// prune removes the baked AMIs that neither the workspace nor the account
// uses, only with the apply input; the job summary gets the table of every
// AMI, the removed-ami-ids output the IDs removed.
func (r *runner) prune(ctx context.Context, env *pipeline.Env, cfg *config.Config, apply bool, summary *strings.Builder) error {
	r.gha.Group("winbake prune")
	res, err := env.Prune(ctx, prune.Options{
		Config: cfg, Repo: r.workspace(), Keep: prune.DefaultKeep, MinAge: prune.DefaultMinAge, Apply: apply, Log: r.stdout,
	})
	if res != nil {
		fmt.Fprint(r.stdout, report.PruneText(res))
	}
	r.gha.EndGroup()
	if res != nil {
		summary.WriteString(report.PruneMarkdown(res))
		var ids []string
		for _, a := range res.AMIs {
			if a.Decision == prune.Removed {
				ids = append(ids, a.ID)
			}
		}
		r.gha.SetOutput("removed-ami-ids", strings.Join(ids, ","))
	}
	if err != nil {
		return r.fail("winbake prune", "%v", err)
	}
	return nil
}
