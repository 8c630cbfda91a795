package main

import "github.com/winbake/winbake/internal/imagebuilder"

// clockFor is the wall clock; tests replace it with simulated time.
var clockFor = func() imagebuilder.Clock { return imagebuilder.RealClock{} }
