package pipeline

import (
	"context"

	"github.com/winbake/winbake/internal/prune"
)

// Prune prunes with the run's AWS clients and clock.
func (e *Env) Prune(ctx context.Context, o prune.Options) (*prune.Result, error) {
	o.EC2 = func(r string) prune.EC2API { return e.AWS.EC2(r) }
	o.SSM = func(r string) prune.SSMAPI { return e.AWS.SSM(r) }
	o.Clock = e.Clock
	return prune.Run(ctx, o)
}
