package amiref

import (
	"bytes"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/winbake/winbake/internal/config"
)

// Note is a reference that resolves at deploy time: its node group never
// gets a baked AMI.
type Note struct {
	Line int
	Text string // what the reference is and what it does
	// Windows is the variant it names ("2022-core"), or just the release
	// ("2022") when it does not say Core or Full, or "" when it does not
	// say at all. Kubernetes is the minor it names, if it names one.
	Windows    string
	Kubernetes string
}

var (
	// The public parameters of the EKS-optimized Windows AMIs (EKS user
	// guide, "Retrieve recommended Microsoft Windows AMI IDs"); the
	// version may be a Terraform or CloudFormation interpolation.
	// terraform-aws-eks writes it with ${local.ssm_kubernetes_version}
	// (modules/self-managed-node-group/main.tf), with or without /image_id.
	eksParamRe = regexp.MustCompile(`/aws/service/ami-windows-latest/Windows_Server-(\d{4})-English-(Core|Full)-EKS_Optimized-((?:\$\{[^}]*\}|[^/"'\s}:$])+)(?:/image_id)?`)
	// An EKS-optimized Windows AMI name pattern, as in a data "aws_ami"
	// name filter.
	eksNameRe = regexp.MustCompile(`Windows_Server-(\d{4})-English-(Core|Full)-EKS_Optimized-([0-9.]*)`)
	// Managed node group AMI types (EKS API reference, Nodegroup amiType).
	amiTypeRe = regexp.MustCompile(`WINDOWS_(CORE|FULL)_(2019|2022|2025)_x86_64`)
	// Karpenter v1 amiSelectorTerms aliases, in YAML, JSON or a Terraform
	// kubernetes_manifest object (karpenter-provider-aws
	// pkg/apis/v1/ec2nodeclass.go: family@version; Windows takes latest).
	aliasRe = regexp.MustCompile(`\balias["']?\s*[:=]\s*["']?(windows(\d{4})@[A-Za-z0-9._-]+)`)
	// eksctl amiFamily values (eksctl pkg/apis/eksctl.io/v1alpha5/types.go).
	eksctlFamilyRe = regexp.MustCompile(`^WindowsServer(\d{4})(Core|Full)Container$`)
)

// Floating finds the AMI references of a file that resolve at deploy time.
func Floating(name string, data []byte) []Note {
	// Every form names Windows (the parameter, the alias, the family, the
	// AMI type): files that do not are ruled out in one quick pass.
	if !mentionsWindows(data) {
		return nil
	}
	f := &finder{data: data, name: name}
	f.resolveSSM()
	f.eksParams()
	f.aliases()
	f.amiTypes()
	switch KindOf(name) {
	case KindHCL:
		f.terraformAMIData(name)
	case KindYAML:
		f.manifests()
	}
	sort.SliceStable(f.notes, func(i, j int) bool { return f.notes[i].Line < f.notes[j].Line })
	return f.notes
}

// mentionsWindows looks for "indows" or "INDOWS" by their w, a rare
// letter in infrastructure code: several times faster than bytes.Contains,
// whose first letter, i, is everywhere.
func mentionsWindows(data []byte) bool {
	for _, w := range [...]struct {
		c    byte
		head string
	}{{'w', "indo"}, {'W', "INDO"}} {
		for i := 0; ; {
			j := bytes.IndexByte(data[i:], w.c)
			if j < 0 {
				break
			}
			if k := i + j; k >= 4 && string(data[k-4:k]) == w.head {
				return true
			}
			i += j + 1
		}
	}
	return false
}

type finder struct {
	name  string
	data  []byte
	taken [][2]int // byte spans already noted: one note per reference
	// pinned are the spans of Terraform node groups that set ami_id: their
	// ami_type only picks the user data (terraform-aws-eks).
	pinned [][2]int
	notes  []Note
}

func (f *finder) add(start, end int, n Note) {
	for _, s := range f.taken {
		if start < s[1] && end > s[0] {
			return
		}
	}
	f.taken = append(f.taken, [2]int{start, end})
	n.Line = 1 + bytes.Count(f.data[:start], []byte{'\n'})
	f.notes = append(f.notes, n)
}

// isKey reports a match ending at end that is a map key (a lookup table
// of AMI types, as terraform-aws-eks keeps one), not a node group's value.
func (f *finder) isKey(end int) bool {
	rest := bytes.TrimLeft(f.data[end:], `"'`)
	rest = bytes.TrimLeft(rest, " \t")
	if KindOf(f.name) == KindHCL {
		// HCL keys take = (a : there is a conditional's).
		return len(rest) > 0 && rest[0] == '=' && (len(rest) == 1 || rest[1] != '=')
	}
	return len(rest) > 0 && rest[0] == ':'

}

// inPinned reports an offset inside a node group that sets its own AMI.
func (f *finder) inPinned(off int) bool {
	for _, s := range f.pinned {
		if off >= s[0] && off < s[1] {
			return true
		}
	}
	return false
}

func variant(release, edition string) string {
	return release + "-" + strings.ToLower(edition)
}

// k8s keeps a version only when it is literal.
func k8s(v string) string {
	if strings.ContainsAny(v, "${}") || v == "" {
		return ""
	}
	return strings.TrimSuffix(v, "-")
}

// resolveSSM finds {{resolve:ssm:NAME}} (a CloudFormation dynamic
// reference, resolved when the stack deploys) and bare resolve:ssm:NAME
// (EC2 resolves it at launch: launch templates, RunInstances, Terraform
// aws_instance.ami; EC2 user guide, "Use a Systems Manager parameter
// instead of an AMI ID").
func (f *finder) resolveSSM() {
	const key = "resolve:ssm:"
	for i := 0; ; {
		j := bytes.Index(f.data[i:], []byte(key))
		if j < 0 {
			return
		}
		start := i + j
		end := start + len(key)
		for end < len(f.data) && !strings.ContainsRune("}\"' \t\r\n,)]", rune(f.data[end])) {
			end++
		}
		i = end
		param := string(f.data[start+len(key) : end])
		cfn := start >= 2 && string(f.data[start-2:start]) == "{{"
		what := "EC2 `resolve:ssm:` image ID: EC2 reads the parameter at each launch"
		if cfn {
			what = "CloudFormation dynamic reference `{{resolve:ssm:…}}`: resolved when the stack deploys"
			// {{resolve:ssm:name:version}}: the version is not the name.
			if k := strings.LastIndexByte(param, ':'); k > 0 && strings.Trim(param[k+1:], "0123456789") == "" {
				param = param[:k]
			}
		}
		if m := eksParamRe.FindStringSubmatch(param); m != nil {
			f.add(start, end, Note{Text: what + ", from " + "`" + param + "`, the stock EKS-optimized AMI, never the baked one", Windows: variant(m[1], m[2]), Kubernetes: k8s(m[3])})
			continue
		}
		if strings.HasPrefix(param, "/aws/service/") || !strings.Contains(strings.ToLower(param), "windows") {
			continue // a public non-EKS-Windows parameter, or not Windows
		}
		f.add(start, end, Note{Text: what + ", from `" + param + "`: its nodes get the baked AMI only if that parameter is set to it"})
	}
}

// eksParams finds the public EKS Windows parameter named outside
// resolve:ssm: Terraform data "aws_ssm_parameter", a CloudFormation
// parameter of type AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>, a
// Karpenter ssmParameter term.
func (f *finder) eksParams() {
	for _, m := range eksParamRe.FindAllSubmatchIndex(f.data, -1) {
		s := func(k int) string { return string(f.data[m[2*k]:m[2*k+1]]) }
		f.add(m[0], m[1], Note{Text: "reads `" + s(0) + "` at deploy time: the stock EKS-optimized AMI, never the baked one", Windows: variant(s(1), s(2)), Kubernetes: k8s(s(3))})
	}
}

// aliases finds Karpenter's windows20xx@latest aliases; only the value is
// quoted, never a comment after it.
func (f *finder) aliases() {
	for _, m := range aliasRe.FindAllSubmatchIndex(f.data, -1) {
		alias, release := string(f.data[m[2]:m[3]]), string(f.data[m[4]:m[5]])
		// Karpenter's Windows families use the Core AMIs
		// (pkg/providers/amifamily/windows.go).
		f.add(m[0], m[1], Note{Text: "Karpenter alias `" + alias + "`: Karpenter launches the stock EKS-optimized AMI of the cluster's Kubernetes version, never the baked one", Windows: variant(release, "Core")})
	}
}

// amiTypes finds managed node groups on the stock Windows AMI types: a
// custom AMI needs a launch template and amiType CUSTOM.
func (f *finder) amiTypes() {
	ms := amiTypeRe.FindAllSubmatchIndex(f.data, -1)
	if len(ms) > 0 && KindOf(f.name) == KindHCL {
		f.pinnedGroups(f.name)
	}
	for _, m := range ms {
		typ := string(f.data[m[0]:m[1]])
		if f.isKey(m[1]) || f.inPinned(m[0]) {
			continue
		}
		f.add(m[0], m[1], Note{Text: "node group AMI type `" + typ + "` with no AMI of its own: the stock EKS-optimized AMI (EKS launches it for a managed node group; terraform-aws-eks reads its SSM parameter), never the baked one (a custom AMI needs a launch template and AMI type CUSTOM, or ami_id)",
			Windows: variant(string(f.data[m[4]:m[5]]), string(f.data[m[2]:m[3]]))})
	}
}

// judge says whether a floating reference is of the image's variant and
// Kubernetes version: those are the node groups that miss its baked AMI.
func judge(n Note, img config.Image) string {
	release, _, _ := strings.Cut(img.Windows, "-")
	switch {
	case n.Windows == "":
		return "it does not say which Windows variant"
	case n.Windows != img.Windows && n.Windows != release:
		return fmt.Sprintf("Windows %s, not this image's variant (%s)", n.Windows, img.Windows)
	case n.Kubernetes != "" && n.Kubernetes != img.Kubernetes:
		return fmt.Sprintf("this image's variant (%s) but Kubernetes %s, not %s", img.Windows, n.Kubernetes, img.Kubernetes)
	case n.Windows == release:
		return fmt.Sprintf("Windows %s, this image's release (%s): these nodes could run the baked AMI", release, img.Windows)
	}
	return fmt.Sprintf("this image's variant (%s): these nodes could run the baked AMI", img.Windows)
}
