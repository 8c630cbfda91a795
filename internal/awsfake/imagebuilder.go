package awsfake

// imageBuilder is the fake's EC2 Image Builder state.
type imageBuilder struct {
	s               *Server
	launchTemplates map[string]*launchTemplate // region/id
	subnets         map[string]bool            // region/id
}

type launchTemplate struct {
	versions       []LaunchTemplateVersion
	defaultVersion int
}

func newImageBuilder(s *Server) *imageBuilder {
	return &imageBuilder{s: s, launchTemplates: map[string]*launchTemplate{}, subnets: map[string]bool{}}
}

// route names the operation of a REST-JSON request before it is checked.
func (ib *imageBuilder) route(req *request) (string, any, *apiError) {
	return "", nil, errorf(404, "InvalidRequestException", "the fake does not implement %s %s", req.http.Method, req.http.URL.Path)
}

func (ib *imageBuilder) handle(req *request) (any, *apiError) {
	return nil, errorf(404, "InvalidRequestException", "not implemented")
}
