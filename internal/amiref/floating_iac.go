package amiref

import (
	"bytes"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"gopkg.in/yaml.v3"
)

// terraformAMIData finds data "aws_ami" blocks that pick the newest
// EKS-optimized Windows AMI by name (a "name" filter or name_regex; the
// Terraform AWS provider's aws_ami data source): they float with every
// plan. The pattern is read as written, interpolations and all.
func (f *finder) terraformAMIData(name string) {
	if !bytes.Contains(f.data, []byte("aws_ami")) || !bytes.Contains(f.data, []byte("EKS_Optimized")) {
		return
	}
	body, err := parseHCL(name, f.data)
	if err != nil {
		return
	}
	src := func(e hclsyntax.Expression) string {
		r := e.Range()
		return string(f.data[r.Start.Byte:r.End.Byte])
	}
	for _, b := range body.Blocks {
		if b.Type != "data" || len(b.Labels) != 2 || b.Labels[0] != "aws_ami" {
			continue
		}
		var exprs []hclsyntax.Expression
		if a, ok := b.Body.Attributes["name_regex"]; ok {
			exprs = append(exprs, a.Expr)
		}
		for _, fb := range b.Body.Blocks {
			if a, ok := fb.Body.Attributes["name"]; fb.Type == "filter" && ok && strings.Trim(src(a.Expr), `"`) == "name" {
				if v, ok := fb.Body.Attributes["values"]; ok {
					exprs = append(exprs, v.Expr)
				}
			}
		}
		for _, e := range exprs {
			// A name_regex escapes its dots: 1\\.31 is 1.31.
			m := eksNameRe.FindStringSubmatch(strings.NewReplacer(`\\.`, ".", `\.`, ".").Replace(src(e)))
			if m == nil {
				continue
			}
			r := b.DefRange()
			f.add(r.Start.Byte, r.End.Byte, Note{Text: "Terraform data.aws_ami." + b.Labels[1] + " picks the newest stock EKS-optimized AMI by name at each plan, never the baked one",
				Windows: variant(m[1], m[2]), Kubernetes: k8s(strings.TrimSuffix(m[3], "."))})
			break
		}
	}
}

// pinnedGroups finds the node groups of a Terraform file that set their
// own AMI: in terraform-aws-eks, image_id = coalesce(var.ami_id, <the SSM
// parameter of ami_type>) (modules/self-managed-node-group/main.tf), so
// a group with ami_id does not float, whatever its ami_type says.
func (f *finder) pinnedGroups(name string) {
	if !bytes.Contains(f.data, []byte("ami_id")) {
		return
	}
	body, err := parseHCL(name, f.data)
	if err != nil {
		return
	}
	set := func(src string) bool {
		src = strings.TrimSpace(src)
		return src != "null" && src != `""`
	}
	_ = hclsyntax.VisitAll(body, func(n hclsyntax.Node) hcl.Diagnostics {
		switch x := n.(type) {
		case *hclsyntax.ObjectConsExpr:
			for _, item := range x.Items {
				if keyPath(item.KeyExpr) == ".ami_id" {
					r := item.ValueExpr.Range()
					if set(string(f.data[r.Start.Byte:r.End.Byte])) {
						f.pinned = append(f.pinned, [2]int{x.Range().Start.Byte, x.Range().End.Byte})
					}
				}
			}
		case *hclsyntax.Body:
			if a, ok := x.Attributes["ami_id"]; ok {
				r := a.Expr.Range()
				if set(string(f.data[r.Start.Byte:r.End.Byte])) {
					f.pinned = append(f.pinned, [2]int{x.Range().Start.Byte, x.Range().End.Byte})
				}
			}
		}
		return nil
	})
}

// manifests finds eksctl Windows node groups without a custom AMI and
// Karpenter v1beta1 EC2NodeClasses on a Windows family with no AMI
// selector: both take the stock EKS-optimized AMI.
func (f *finder) manifests() {
	if !bytes.Contains(f.data, []byte("eksctl.io")) && !bytes.Contains(f.data, []byte("karpenter.k8s.aws")) {
		return
	}
	docs, _ := parseYAMLDocs(f.data)
	lineStarts := []int{0}
	for i, c := range f.data {
		if c == '\n' {
			lineStarts = append(lineStarts, i+1)
		}
	}
	at := func(n *yaml.Node) int { return lineStarts[min(n.Line, len(lineStarts))-1] }
	for _, d := range docs {
		root := d
		if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
			root = root.Content[0]
		}
		api, kind := scalar(get(root, "apiVersion")), scalar(get(root, "kind"))
		switch {
		case strings.HasPrefix(api, "eksctl.io/") && kind == "ClusterConfig":
			version := scalar(get(get(root, "metadata"), "version"))
			for _, group := range []string{"nodeGroups", "managedNodeGroups"} {
				list := get(root, group)
				if list == nil || list.Kind != yaml.SequenceNode {
					continue
				}
				for _, ng := range list.Content {
					fam := get(ng, "amiFamily")
					m := eksctlFamilyRe.FindStringSubmatch(scalar(fam))
					ami := scalar(get(ng, "ami"))
					if m == nil || get(ng, "amiType") != nil || strings.HasPrefix(ami, "ami-") {
						continue
					}
					how, from := "no `ami:`", "from SSM"
					if ami != "" {
						how = "`ami: " + ami + "`"
					}
					// eksctl resolves ami: auto by name with DescribeImages,
					// auto-ssm and no ami: from the public SSM parameter of
					// the cluster's version (eksctl pkg/eks/api.go, ResolveAMI).
					if ami == "auto" {
						from = "by name, the newest"
					}
					f.add(at(fam), at(fam)+1, Note{Text: "eksctl " + group + "[name=" + scalar(get(ng, "name")) + "]: Windows node group (" + m[0] + ") with " + how + ": eksctl takes the stock EKS-optimized AMI " + from + ", never the baked one",
						Windows: variant(m[1], m[2]), Kubernetes: version})
				}
			}
		case strings.HasPrefix(api, "karpenter.k8s.aws/") && kind == "EC2NodeClass":
			spec := get(root, "spec")
			f.nameTerms(scalar(get(get(root, "metadata"), "name")), get(spec, "amiSelectorTerms"), at)
			if api != "karpenter.k8s.aws/v1beta1" {
				continue
			}
			fam := get(spec, "amiFamily")
			release, ok := strings.CutPrefix(scalar(fam), "Windows")
			if !ok || get(spec, "amiSelectorTerms") != nil {
				continue
			}
			// v1beta1: amiFamily alone selects the family's stock AMI
			// (karpenter-provider-aws pkg/apis/v1beta1/ec2nodeclass.go).
			f.add(at(fam), at(fam)+1, Note{Text: "Karpenter EC2NodeClass " + scalar(get(get(root, "metadata"), "name")) + ": amiFamily " + scalar(fam) + " with no amiSelectorTerms launches the stock EKS-optimized AMI, never the baked one",
				Windows: variant(release, "Core")})
		}
	}
}

// nameTerms finds amiSelectorTerms that select by the name of the stock
// EKS-optimized Windows AMIs: Karpenter takes the newest AMI the terms
// match (karpenter-provider-aws pkg/providers/amifamily/ami.go), so the
// node class floats with each EKS release.
func (f *finder) nameTerms(class string, terms *yaml.Node, at func(*yaml.Node) int) {
	if terms == nil || terms.Kind != yaml.SequenceNode {
		return
	}
	for _, term := range terms.Content {
		n := get(term, "name")
		m := eksNameRe.FindStringSubmatch(scalar(n))
		if m == nil {
			continue
		}
		f.add(at(n), at(n)+1, Note{Text: "Karpenter EC2NodeClass " + class + ": amiSelectorTerms name `" + scalar(n) + "` picks the newest stock EKS-optimized AMI by name, never the baked one",
			Windows: variant(m[1], m[2]), Kubernetes: k8s(strings.TrimSuffix(m[3], "."))})
	}
}

// get returns the value of key in a mapping node, or nil.
func get(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func scalar(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}
