package report

import (
	"fmt"
	"strings"
)

// Comments winbake posts on its pull requests carry a hidden marker, so a
// later run finds them and does not say the same thing twice.

// ClosingComment is the comment on a pull request closed because base
// already has what it proposed, and its marker.
func ClosingComment(image, base, ami string) (marker, body string) {
	marker = fmt.Sprintf("<!-- winbake:closed image=%s ami=%s -->", image, ami)
	body = fmt.Sprintf("%s\nNothing left to change: %s already uses the AMIs of this bake (%s), or none of its references remain. Closing.", marker, base, ami)
	return marker, body
}

// LeftAloneComment is the comment on a pull request whose branch has
// commits by others (authors), which winbake did not overwrite with ami;
// head is the branch's commit, so a later push by them is told again.
func LeftAloneComment(image, ami, head string, authors []string) (marker, body string) {
	marker = fmt.Sprintf("<!-- winbake:left-alone image=%s ami=%s head=%s -->", image, ami, head)
	body = fmt.Sprintf("%s\nwinbake baked `%s` but did not update this branch: it has commits by %s, which it will not overwrite. Merge or close this pull request (or delete the branch) and the next run proposes the new AMI.",
		marker, ami, strings.Join(authors, ", "))
	return marker, body
}
