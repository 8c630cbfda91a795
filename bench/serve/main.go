// Command serve serves a directory over HTTP on loopback, as GitHub serves
// release assets, and prints its URL: a stand-in download host for
// bench/action.sh.
package main

import (
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
)

func main() {
	if len(os.Args) != 2 {
		log.Fatal("usage: serve DIR")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("http://%s\n", l.Addr())
	log.Fatal(http.Serve(l, http.FileServer(http.Dir(os.Args[1]))))
}
