package awsfake

import (
	"path"
	"strconv"
	"strings"
)

// filter is one Filter.N of an EC2 Describe call: a resource matches when
// any of the values matches (values may hold * and ? wildcards), and it
// must match every filter. Source: "Filtering" in
// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/Query-Requests.html
// and each action's Filter.N parameter.
type filter struct {
	name   string
	values []string
}

type filters []filter

// ec2Filters reads Filter.1.Name, Filter.1.Value.1, ... from a query form.
func ec2Filters(form map[string][]string) filters {
	var out filters
	for i := 1; ; i++ {
		p := "Filter." + strconv.Itoa(i)
		name, ok := form[p+".Name"]
		if !ok {
			return out
		}
		out = append(out, filter{name[0], indexed(form, p+".Value")})
	}
}

// match tells whether a resource passes every filter; have returns the
// resource's values for a filter name, and false for a name the fake does
// not know, which matches nothing.
func (fs filters) match(have func(name string) ([]string, bool)) bool {
	for _, f := range fs {
		got, known := have(f.name)
		if !known || !anyMatch(f.values, got) {
			return false
		}
	}
	return true
}

func anyMatch(patterns, values []string) bool {
	for _, p := range patterns {
		for _, v := range values {
			if ok, _ := path.Match(p, v); ok || p == v {
				return true
			}
		}
	}
	return false
}

// tagFilter answers the tag:<key> and tag-key filters every EC2 Describe
// action takes.
func tagFilter(name string, tags map[string]string) ([]string, bool) {
	switch {
	case strings.HasPrefix(name, "tag:"):
		if v, ok := tags[strings.TrimPrefix(name, "tag:")]; ok {
			return []string{v}, true
		}
		return nil, true
	case name == "tag-key":
		return sortedKeys(tags), true
	}
	return nil, false
}

// maxFilterValues is how many filter values one DescribeInstances call
// takes in all; more is refused with FilterLimitExceeded ("The maximum
// number of filter values specified on a single call is 200", as EC2
// answers in github.com/convox/rack/issues/2205 and
// github.com/gjbae1212/gossm/issues/47).
const maxFilterValues = 200

// values counts the values of every filter.
func (fs filters) values() int {
	n := 0
	for _, f := range fs {
		n += len(f.values)
	}
	return n
}
