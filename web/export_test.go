package web

// StageCookie is the name of the cookie of a Stage's address, for tests.
var StageCookie = stageCookie
