// Command fakeaws runs the fake AWS server as its own process, for tests
// that drive winbake as a user would (the benchmarks, the GitHub Actions
// end-to-end run). It prints its URL on the first line of stdout.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"syscall"

	"github.com/winbake/winbake/internal/testing/awsfake"
)

func main() {
	seed := flag.String("seed", "", "seed `file` (JSON) with AMIs, instance profiles and subnets")
	flag.Parse()
	s := awsfake.New()
	if *seed != "" {
		if err := s.ApplySeed(*seed); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Println(s.URL())
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	<-stop
	s.Close()
}
