package client_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"strings"
	"testing"

	"damask/client"
	"damask/client/clienttest"
)

// exampleServer is a real server for the examples, on a fresh library.
var exampleServer string

func TestMain(m *testing.M) {
	os.Exit(runWithServer(m))
}

func runWithServer(m *testing.M) int {
	dir, err := os.MkdirTemp("", "client-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	s, err := clienttest.Open(dir, clienttest.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	exampleServer = s.URL
	return m.Run()
}

// Sign in with a password once, make a token, and use the token after.
func Example() {
	ctx := context.Background()
	c, err := client.New(exampleServer, client.WithBasicAuth("admin", "correct horse battery"))
	if err != nil {
		log.Fatal(err)
	}
	tok, err := c.CreateToken(ctx, client.NewToken{Name: "my script"})
	if err != nil {
		log.Fatal(err)
	}
	c, _ = client.New(exampleServer, client.WithToken(tok.Secret))
	me, err := c.Me(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(me.Login)
	// Output: admin
}

// Send a file by the resumable protocol; its metadata makes it an asset.
func ExampleClient_UploadResumable() {
	ctx := context.Background()
	c, _ := client.New(exampleServer, client.WithBasicAuth("admin", "correct horse battery"))
	body := strings.NewReader("a small file")
	_, done, err := c.UploadResumable(ctx, body, body.Size(),
		client.Metadata{Filename: "note.txt", Title: "A note", Tags: []string{"notes"}}, client.Resumable{})
	if err != nil {
		log.Fatal(err)
	}
	a, err := c.Asset(ctx, done.AssetID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(a.Title, a.Filename, a.Size, a.TagNames())
	// Output: A note note.txt 12 [notes]
}

// Iterate over a search's matches, page after page.
func ExampleClient_Assets() {
	ctx := context.Background()
	c, _ := client.New(exampleServer, client.WithBasicAuth("admin", "correct horse battery"))
	for _, name := range []string{"one.txt", "two.txt"} {
		up, err := c.Upload(ctx, name, strings.NewReader("text of "+name))
		if err != nil {
			log.Fatal(err)
		}
		if _, err := c.CreateAsset(ctx, client.NewAsset{UploadID: up.ID, Tags: []string{"iterated"}}); err != nil {
			log.Fatal(err)
		}
	}
	for a, err := range c.Assets(ctx, client.ListOptions{Query: "tag:iterated", Sort: "title", PerPage: 1}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(a.Filename)
	}
	// Output:
	// one.txt
	// two.txt
}

// Save an asset's file, checked against its SHA-256; run again after a
// cut, it goes on from the part file.
func ExampleClient_DownloadFile() {
	ctx := context.Background()
	c, _ := client.New(exampleServer, client.WithBasicAuth("admin", "correct horse battery"))
	up, _ := c.Upload(ctx, "hello.txt", strings.NewReader("hello"))
	a, _ := c.CreateAsset(ctx, client.NewAsset{UploadID: up.ID})
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	if err := c.DownloadFile(ctx, a, dir+"/hello.txt", nil); err != nil {
		log.Fatal(err)
	}
	b, _ := os.ReadFile(dir + "/hello.txt")
	fmt.Println(string(b))
	// Output: hello
}
