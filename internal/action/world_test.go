package action

import (
	"testing"

	"github.com/winbake/winbake/internal/testing/githttp"
	"github.com/winbake/winbake/internal/testing/githubfake"
	"github.com/winbake/winbake/internal/testing/registrytest"
	"github.com/winbake/winbake/internal/testing/testenv"
)

const stockAMI = "ami-0e0e0e0e0e0e0e0e1"

// world is what a scheduled winbake run meets: a registry with a Windows
// image, an infrastructure repository (a bare origin) that pins the stock
// EKS AMI, and GitHub.
type world struct {
	reg    *registrytest.Registry
	origin string
	gh     *githubfake.Server
	ref    string
	// git serves origin over smart HTTP in the act runs.
	git *githttp.Server
}

func newWorld(t *testing.T) *world {
	w := &world{reg: registrytest.Start(t, false), gh: githubfake.Start(t, "acme", "infra")}
	base := registrytest.RandomLayer(t, 64<<10)
	w.reg.Push(t, "windows/servercore:ltsc2022", registrytest.Index(t, registrytest.Image(t, "windows", "amd64", "10.0.20348.2762", base)))
	w.ref = w.reg.Push(t, "team/app:1", registrytest.Index(t,
		registrytest.Image(t, "windows", "amd64", "10.0.20348.2762", base, registrytest.RandomLayer(t, 16<<10))))

	w.origin, _ = testenv.Origin(t, map[string]string{
		".github/winbake.yaml": "images:\n  - name: win\n    kubernetes: \"1.31\"\n    windows: 2022-core\n    regions: [us-east-1]\n" +
			"    baseImages: [" + w.reg.Host + "/windows/servercore:ltsc2022]\n    cache: [" + w.ref + "]\n",
		"terraform/nodes.tf": "resource \"aws_launch_template\" \"win\" {\n  image_id = \"" + stockAMI + "\"\n}\n",
	})
	return w
}

// seed is what the fake AWS knows: the stock AMI and its SSM parameter.
const seedJSON = `{
  "eksAMIs": [{"region": "us-east-1", "variant": "2022-core", "kubernetes": "1.31", "id": "` + stockAMI + `"}],
  "instanceProfiles": ["WinbakeInstanceProfile"],
  "instantBuilds": true
}`
