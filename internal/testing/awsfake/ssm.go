package awsfake

func (s *Server) getParameter(req *request) (any, *apiError) {
	name := str(req.body, "Name")
	v, ok := s.Parameter(req.region, name)
	if !ok {
		return nil, errorf(400, "ParameterNotFound", "Parameter %s not found.", name)
	}
	return map[string]any{"Parameter": map[string]any{
		"Name": name, "Value": v, "Type": "String", "Version": 1, "DataType": "text",
		"ARN": "arn:aws:ssm:" + req.region + "::parameter" + name,
	}}, nil
}

func (s *Server) putParameter(req *request) (any, *apiError) {
	name := str(req.body, "Name")
	if _, exists := s.Parameter(req.region, name); exists {
		if ow, _ := req.body["Overwrite"].(bool); !ow {
			return nil, errorf(400, "ParameterAlreadyExists", "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.")
		}
	}
	s.SetParameter(req.region, name, str(req.body, "Value"))
	return map[string]any{"Version": 2, "Tier": "Standard"}, nil
}

func (s *Server) getAuthorizationToken(req *request) (any, *apiError) {
	token := base64Std("AWS:" + s.ECRPassword)
	return map[string]any{"authorizationData": []map[string]any{{
		"authorizationToken": token,
		"expiresAt":          float64(s.Clock.Now().Add(12 * 3600e9).Unix()),
		"proxyEndpoint":      "https://" + Account + ".dkr.ecr." + req.region + ".amazonaws.com",
	}}}, nil
}
