package components

// PinnedLabel keeps an image from kubelet's image garbage collection: CRI
// reports an image carrying it as pinned (containerd's CRI labels package,
// PinnedImageLabelKey/Value, honoured since containerd 1.6.22 and 1.7.3).
const PinnedLabel = "io.cri-containerd.pinned=pinned"

// CtrNamespace is the containerd namespace of kubelet's images.
const CtrNamespace = "k8s.io"

// CtrCommands lists the ctr calls cache-images.ps1 makes, in order, each
// with its global flags: the readiness probe, then for every image its
// pull, a tag for each further name and, with pin, a label on every name.
// password gives the ECR password of a region; cache-images.ps1 puts it on
// the pull as --user AWS:<password>, which is all ctr accepts.
func CtrCommands(images []CacheImage, pin bool, password func(region string) string) [][]string {
	ctr := func(args ...string) []string { return append([]string{"-n", CtrNamespace}, args...) }
	cmds := [][]string{ctr("version")}
	for _, img := range images {
		pull := ctr("images", "pull")
		if img.ECRRegion != "" {
			pull = append(pull, "--user", "AWS:"+password(img.ECRRegion))
		}
		cmds = append(cmds, append(pull, img.Pull))
		names := img.Names()
		for _, n := range names[1:] {
			cmds = append(cmds, ctr("images", "tag", "--force", img.Pull, n))
		}
		if pin {
			for _, n := range names {
				cmds = append(cmds, ctr("images", "label", n, PinnedLabel))
			}
		}
	}
	return cmds
}
