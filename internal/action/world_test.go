package action

import (
	"os"
	"path/filepath"
	"testing"

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
}

var git = testenv.Git

func newWorld(t *testing.T) *world {
	w := &world{reg: registrytest.Start(t, false), gh: githubfake.Start(t, "acme", "infra")}
	base := registrytest.RandomLayer(t, 64<<10)
	w.reg.Push(t, "windows/servercore:ltsc2022", registrytest.Index(t, registrytest.Image(t, "windows", "amd64", "10.0.20348.2762", base)))
	w.ref = w.reg.Push(t, "team/app:1", registrytest.Index(t,
		registrytest.Image(t, "windows", "amd64", "10.0.20348.2762", base, registrytest.RandomLayer(t, 16<<10))))

	root := t.TempDir()
	w.origin = filepath.Join(root, "origin.git")
	work := filepath.Join(root, "work")
	git(t, root, "init", "--quiet", "--bare", "-b", "main", w.origin)
	git(t, root, "clone", "--quiet", w.origin, work)
	files := map[string]string{
		".github/winbake.yaml": "images:\n  - name: win\n    kubernetes: \"1.31\"\n    windows: 2022-core\n    regions: [us-east-1]\n" +
			"    baseImages: [" + w.reg.Host + "/windows/servercore:ltsc2022]\n    cache: [" + w.ref + "]\n",
		"terraform/nodes.tf": "resource \"aws_launch_template\" \"win\" {\n  image_id = \"" + stockAMI + "\"\n}\n",
	}
	for name, content := range files {
		os.MkdirAll(filepath.Join(work, filepath.Dir(name)), 0o755)
		os.WriteFile(filepath.Join(work, name), []byte(content), 0o644)
	}
	git(t, work, "add", ".")
	git(t, work, "commit", "--quiet", "-m", "infra")
	git(t, work, "push", "--quiet", "origin", "main")
	return w
}

// seed is what the fake AWS knows: the stock AMI and its SSM parameter.
const seedJSON = `{
  "images": [{"region": "us-east-1", "id": "ami-0e0e0e0e0e0e0e0e1", "name": "Windows_Server-2022-English-Core-EKS_Optimized-1.31-2026.10.15", "owner": "801119661308", "ownerAlias": "amazon"}],
  "parameters": [{"region": "us-east-1", "name": "/aws/service/ami-windows-latest/Windows_Server-2022-English-Core-EKS_Optimized-1.31/image_id", "value": "ami-0e0e0e0e0e0e0e0e1"}],
  "instanceProfiles": ["WinbakeInstanceProfile"],
  "instantBuilds": true
}`
